import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { TextArea } from '../ui/form.js';
import { ErrorNote, useAction } from '../ui/kit.js';
import { Facts } from '../ui/records.js';

type LegalHold = NonNullable<Answer<'/v1/reports/{id}', 'get'>['report']['legalHold']>;

/** Who places and releases a report's legal hold: the roles that hold evidence (the API decides; this hides buttons). */
const HOLDERS: readonly string[] = ['authority', 'admin'];
export const mayHoldReports = (role: string): boolean => HOLDERS.includes(role);

const change = (id: string, release: boolean, reason: string) =>
  ok(
    release
      ? api.POST('/v1/reports/{id}/legal-hold/release', { params: { path: { id } }, body: { reason } })
      : api.POST('/v1/reports/{id}/legal-hold', { params: { path: { id } }, body: { reason } }),
  );

/**
 * A report's legal hold: who placed it, for which authority, when and why; while held, none of the report's personal
 * data is erased. A permitted person places it, or releases it, with a reason the API puts on the audit record.
 */
export function ReportHold(props: {
  reportId: string;
  hold: LegalHold | null;
  canChange: boolean;
  onChanged: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [reason, setReason] = useState('');
  const held = props.hold;
  const submit = useAction(async () => {
    await change(props.reportId, held !== null, reason);
    setReason('');
    props.onChanged();
  });
  return (
    <section aria-labelledby="report-hold-title" class="case" data-testid="report-hold">
      <h2 id="report-hold-title">{t('reportHold.title')}</h2>
      {held === null ? (
        <p data-testid="report-hold-state">{t('reportHold.none')}</p>
      ) : (
        <>
          <p class="notice" data-testid="report-hold-state">
            {t('reportHold.held')}
          </p>
          <Facts
            testId="report-hold-facts"
            facts={[
              { label: t('reportHold.by'), value: held.byName ?? held.by },
              { label: t('reportHold.authority'), value: held.authorityTenantId },
              { label: t('reportHold.at'), value: i18n.dateTime(held.at) },
              { label: t('reportHold.reason'), value: held.reason },
            ]}
          />
        </>
      )}
      {!props.canChange ? null : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run();
          }}
        >
          <TextArea
            id="report-hold-reason"
            label={t(held === null ? 'reportHold.reasonLabel' : 'reportHold.releaseReasonLabel')}
            value={reason}
            onValue={setReason}
            required
          />
          <button type="submit" disabled={submit.busy || reason.trim() === ''}>
            {t(held === null ? 'reportHold.place' : 'reportHold.release')}
          </button>
          <ErrorNote error={submit.error} />
        </form>
      )}
    </section>
  );
}
