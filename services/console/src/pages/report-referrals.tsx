import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Choice, TextArea } from '../ui/form.js';
import { ErrorNote, LoadStatus, useAction, useLoad } from '../ui/kit.js';
import { TitledTable } from '../ui/records.js';

type Referral = Answer<'/v1/reports/{id}/referrals', 'get'>['referrals'][number];

/** Who refers a report and withdraws a referral: the hotline's people and admins (the API decides; this hides forms). */
const REFERRERS: readonly string[] = ['hotline', 'admin'];
export const mayReferReports = (role: string): boolean => REFERRERS.includes(role);

/** Withdraws one standing referral, with the reason the API puts on the audit record. */
function Withdraw(props: { referral: Referral; onChanged: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const { reportId, authorityTenantId } = props.referral;
  const submit = useAction(async () => {
    await ok(
      api.POST('/v1/reports/{id}/referrals/{authorityTenantId}/withdraw', {
        params: { path: { id: reportId, authorityTenantId } },
        body: { reason },
      }),
    );
    props.onChanged();
  });
  const id = `referral-withdraw-${props.referral.id}`;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run();
      }}
    >
      <TextArea
        id={id}
        label={t('referrals.withdrawReasonLabel')}
        value={reason}
        onValue={setReason}
        required
      />
      <button type="submit" class="secondary" disabled={submit.busy || reason.trim() === ''}>
        {t('referrals.withdraw')}
      </button>
      <ErrorNote error={submit.error} />
    </form>
  );
}

/** Refers the report to an authority in service, chosen by name, with a reason. */
function Refer(props: { reportId: string; onChanged: () => void }) {
  const { t } = useI18n();
  const targets = useLoad(() => ok(api.GET('/v1/reports/referral-targets')), []);
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const submit = useAction(async () => {
    await ok(
      api.POST('/v1/reports/{id}/referrals', {
        params: { path: { id: props.reportId } },
        body: { authorityTenantId: target, reason },
      }),
    );
    setReason('');
    props.onChanged();
  });
  return (
    <form
      data-testid="referral-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run();
      }}
    >
      <LoadStatus loads={[targets]} />
      <Choice
        id="referral-target"
        label={t('referrals.target')}
        value={target}
        none={t('referrals.pick')}
        options={(targets.data?.authorities ?? []).map((a) => ({ value: a.id, label: a.name }))}
        onValue={setTarget}
        required
      />
      <TextArea
        id="referral-reason"
        label={t('referrals.reasonLabel')}
        value={reason}
        onValue={setReason}
        required
      />
      <p class="hint">{t('referrals.audited')}</p>
      <button type="submit" disabled={submit.busy || target === '' || reason.trim() === ''}>
        {t('referrals.refer')}
      </button>
      <ErrorNote error={submit.error} />
    </form>
  );
}

/**
 * A report's referrals to authorities, standing and withdrawn (operators' people read them); the hotline's people
 * and admins refer it and withdraw a referral, each with a reason the API audits. The authority reads the report,
 * never the reporter's contact details.
 */
export function ReportReferrals(props: { reportId: string; canChange: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const loaded = useLoad(
    () => ok(api.GET('/v1/reports/{id}/referrals', { params: { path: { id: props.reportId } } })),
    [props.reportId],
  );
  const referrals = loaded.data?.referrals ?? [];
  return (
    <section aria-labelledby="referrals-title" class="case" data-testid="report-referrals">
      <LoadStatus loads={[loaded]} />
      {referrals.length === 0 ? (
        <>
          <h2 id="referrals-title">{t('referrals.title')}</h2>
          <p data-testid="referrals-none">{t('referrals.none')}</p>
        </>
      ) : (
        <TitledTable
          title={t('referrals.title')}
          caption={t('referrals.caption')}
          columns={[
            'referrals.authority',
            'referrals.by',
            'referrals.at',
            'referrals.reason',
            'referrals.state',
          ]}
          testId="referrals"
        >
          {referrals.map((r) => (
            <tr key={r.id} data-authority={r.authorityTenantId} data-standing={String(r.withdrawn === null)}>
              <th scope="row">{r.authorityName}</th>
              <td>{r.referredByName ?? r.referredBy}</td>
              <td>{i18n.dateTime(r.referredAt)}</td>
              <td>{r.reason}</td>
              <td>
                {r.withdrawn !== null ? (
                  t('referrals.withdrawnState', {
                    at: i18n.dateTime(r.withdrawn.at),
                    reason: r.withdrawn.reason,
                  })
                ) : (
                  <>
                    {t('referrals.standing')}
                    {props.canChange ? <Withdraw referral={r} onChanged={loaded.reload} /> : null}
                  </>
                )}
              </td>
            </tr>
          ))}
        </TitledTable>
      )}
      {props.canChange ? <Refer reportId={props.reportId} onChanged={loaded.reload} /> : null}
    </section>
  );
}
