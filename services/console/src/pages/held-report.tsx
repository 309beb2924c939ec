import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { LoadStatus, useAction, useLoad } from '../ui/kit.js';
import { Facts, RecordTable } from '../ui/records.js';
import { ReportHold } from './report-hold.js';

/** A report the signed-in authority holds but is no longer referred to: its hold alone. */
export type HeldReport = Answer<'/v1/referred-reports/held', 'get'>['held'][number];
type HeldPage = Answer<'/v1/referred-reports/held', 'get'>;

/** Holds asked for a page at a time (the API's default page). */
const HELD_PAGE = 50;

/** A page of the signed-in authority's holds on reports no longer referred to it, past `cursor` (none: the first). */
const loadHeldPage = (cursor: string | null): Promise<HeldPage> =>
  ok(
    api.GET('/v1/referred-reports/held', {
      params: { query: { limit: HELD_PAGE, ...(cursor === null ? {} : { cursor }) } },
    }),
  );

/** The authority's hold on report `id` when it holds it no longer referred to it, else null. */
export const loadHeldReport = (id: string): Promise<HeldReport | null> =>
  ok(api.GET('/v1/referred-reports/held', { params: { query: { reportId: id } } })).then(
    (r) => r.held.find((h) => h.reportId === id) ?? null,
  );

interface LaterPages {
  base: unknown;
  held: HeldReport[];
  cursor: string | null;
}

/**
 * On an authority's reports page: the reports its own tenant holds but that are no longer referred to it (the
 * referral withdrawn), marked so, each with its hold and a link to release it, a page at a time ("more").
 * Nothing shown when there is none.
 */
export function HeldReportList() {
  const i18n = useI18n();
  const { t } = i18n;
  const first = useLoad(() => loadHeldPage(null), []);
  // The pages read after the first, for the first page they follow: derived in the same render as the first page
  // (an effect copying its cursor left one render with its rows but no cursor, "all shown" while there were more).
  const [later, setLater] = useState<LaterPages | null>(null);
  const base = first.data;
  const pages = later !== null && later.base === base ? later : null;
  const cursor = pages === null ? (base?.nextCursor ?? null) : pages.cursor;
  const more = useAction(async () => {
    if (cursor === null) return;
    const page = await loadHeldPage(cursor);
    setLater((l) => ({
      base,
      held: [...(l !== null && l.base === base ? l.held : []), ...page.held],
      cursor: page.nextCursor,
    }));
  });
  const held = [...(base?.held ?? []), ...(pages?.held ?? [])];
  if (first.error === null && held.length === 0) return null;
  return (
    <section aria-labelledby="held-list-title" data-testid="held-reports-section">
      <h2 id="held-list-title">{t('held.listTitle')}</h2>
      <LoadStatus loads={[first]} error={more.error} />
      <p role="status" class="summary" data-testid="held-summary">
        {t(cursor === null ? 'held.summary' : 'held.summaryMore', { count: held.length })}
      </p>
      <RecordTable
        caption={t('held.caption')}
        columns={['held.report', 'reportHold.at', 'reportHold.by', 'reportHold.reason', 'held.withdrawnAt']}
        class="orders"
        testId="held-reports"
      >
        {held.map((h) => (
          <tr key={h.reportId} data-report-id={h.reportId}>
            <th scope="row">
              <Link to={`reports/${h.reportId}`}>{h.reportId}</Link>{' '}
              <strong class="badge">{t('held.mark')}</strong>
            </th>
            <td>{h.legalHold === null ? '—' : i18n.dateTime(h.legalHold.at)}</td>
            <td>{h.legalHold === null ? '—' : (h.legalHold.byName ?? h.legalHold.by)}</td>
            <td>{h.legalHold?.reason ?? '—'}</td>
            <td>
              {h.referralWithdrawnAt === null
                ? t('held.neverReferred')
                : i18n.dateTime(h.referralWithdrawnAt)}
            </td>
          </tr>
        ))}
      </RecordTable>
      {cursor === null ? null : (
        <p>
          <button
            type="button"
            class="secondary"
            data-testid="held-more"
            disabled={more.busy}
            onClick={() => void more.run()}
          >
            {t('held.more')}
          </button>
        </p>
      )}
    </section>
  );
}

/**
 * A report the signed-in authority holds but is no longer referred to: marked so, with its hold (who, for whom,
 * when, why) and the release form; never what the report says. Once released, the page says the report cannot be
 * opened again (it is neither referred nor held).
 */
export function HeldReportView(props: { held: HeldReport }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [released, setReleased] = useState(false);
  const h = props.held;
  return (
    <>
      <p class="notice" data-testid="held-mark">
        <strong>{t('held.mark')}</strong>. {t('held.explain')}
      </p>
      <Facts
        testId="held-facts"
        facts={[
          { label: t('held.report'), value: h.reportId },
          {
            label: t('held.withdrawnAt'),
            value:
              h.referralWithdrawnAt === null ? t('held.neverReferred') : i18n.dateTime(h.referralWithdrawnAt),
          },
        ]}
      />
      <ReportHold
        reportId={h.reportId}
        hold={released ? null : h.legalHold}
        canChange={!released}
        onChanged={() => setReleased(true)}
      />
      {released ? (
        <p role="status" class="notice" data-testid="held-released">
          {t('held.released')}
        </p>
      ) : null}
    </>
  );
}
