import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import type { MessageKey } from '../i18n/vi.js';
import { Link } from '../router.js';
import { Field, Filters } from '../ui/form.js';
import { LoadStatus, Page, RefreshButton, useLoad } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';

type Exposure = Answer<'/v1/review-exposure', 'get'>;
type Row = Exposure['people'][number];

/**
 * A person's standing against both limits: reached one, near one, or neither; unknown when the day's limits were
 * not recorded (a past day counted before they were kept with the counts).
 */
const standingOf = (r: Row): 'reached' | 'near' | 'under' | 'unknown' =>
  r.reachedLimit
    ? 'reached'
    : r.nearLimit
      ? 'near'
      : r.revealStanding === 'unknown' || r.previewStanding === 'unknown'
        ? 'unknown'
        : 'under';
const STANDING_TEXT: Readonly<Record<ReturnType<typeof standingOf>, MessageKey>> = {
  reached: 'exposure.reached',
  near: 'exposure.near',
  under: 'exposure.under',
  unknown: 'exposure.unknown',
};
/** Standings said in plain text, not marked as a badge. */
const PLAIN = new Set<ReturnType<typeof standingOf>>(['under', 'unknown']);

/**
 * Everyone's daily exposure, for welfare supervisors (admins): previews and reveals each person was shown on a
 * day, against the daily limits, those at or near a limit marked in words (and colour). The API audits each read.
 */
export function ReviewExposurePage() {
  const i18n = useI18n();
  const { t } = i18n;
  // Empty: the API's today (the deployment's day).
  const [day, setDay] = useState('');
  const load = useLoad(
    () =>
      ok(
        api.GET('/v1/review-exposure', { params: { query: day === '' ? {} : { day } } }),
      ) as Promise<Exposure>,
    [day],
  );
  const data = load.data;
  const rows = data?.people ?? [];
  const count = (n: number, limit: number | null) =>
    limit === null ? t('exposure.countUnknown', { count: n }) : t('exposure.count', { count: n, limit });
  return (
    <Page title={t('exposure.title')} actions={<RefreshButton onRefresh={load.reload} />}>
      <p>
        <Link to="review">{t('exposure.back')}</Link>
      </p>
      <p class="hint">{t('exposure.audited')}</p>
      <Filters>
        <Field
          id="exposure-day"
          type="date"
          label={t('exposure.day')}
          hint={t('exposure.dayHint')}
          value={day === '' ? (data?.day ?? '') : day}
          onValue={setDay}
        />
      </Filters>
      <LoadStatus loads={[load]} />
      {data === null ? null : (
        <>
          <p data-testid="exposure-limits">
            {data.dailyRevealLimit === null || data.dailyPreviewLimit === null
              ? t('exposure.limitsUnknown')
              : t('exposure.limits', { reveal: data.dailyRevealLimit, preview: data.dailyPreviewLimit })}
          </p>
          <p
            class={rows.some((r) => r.reachedLimit) ? 'notice notice-warn' : 'notice'}
            role="status"
            data-testid="exposure-summary"
          >
            {t('exposure.summary', {
              reached: rows.filter((r) => r.reachedLimit).length,
              near: rows.filter((r) => r.nearLimit).length,
            })}
            {data.truncated ? ` ${t('exposure.truncated', { count: rows.length })}` : ''}
          </p>
          <RecordTable
            caption={t('exposure.people', { count: rows.length, day: data.day })}
            captionShown
            columns={[
              'exposure.person',
              'exposure.role',
              'exposure.reveals',
              'exposure.previews',
              'exposure.standing',
            ]}
            testId="exposure-people"
          >
            {rows.map((r) => {
              const standing = standingOf(r);
              return (
                <tr
                  key={r.personId}
                  class={PLAIN.has(standing) ? undefined : `exposure-${standing}`}
                  data-person={r.personId}
                  data-standing={standing}
                >
                  <th scope="row">
                    {r.displayName} <span class="muted">({r.login})</span>
                    {r.disabledAt === null ? null : ` ${t('exposure.disabled')}`}
                  </th>
                  <td>{t(`role.${r.role}`)}</td>
                  <td data-kind="reveals" data-standing={r.revealStanding}>
                    {count(r.reveals, r.dailyRevealLimit)}
                  </td>
                  <td data-kind="previews" data-standing={r.previewStanding}>
                    {count(r.previews, r.dailyPreviewLimit)}
                  </td>
                  <td>
                    {PLAIN.has(standing) ? (
                      t(STANDING_TEXT[standing])
                    ) : (
                      <strong class={standing === 'reached' ? 'badge' : 'badge badge-warn'}>
                        {t(STANDING_TEXT[standing])}
                      </strong>
                    )}
                  </td>
                </tr>
              );
            })}
          </RecordTable>
        </>
      )}
    </Page>
  );
}
