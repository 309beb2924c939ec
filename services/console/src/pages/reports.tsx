import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { useFullSession } from '../session.js';
import { FilterChoice, Filters, useFormValues } from '../ui/form.js';
import { LoadStatus, Page, RefreshButton, useAction, useLoad, useNow } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';
import { categoryLabel, channelLabel, reportStatusLabel } from './reports-labels.js';
import {
  nextPageAfter,
  REPORT_CHANNELS,
  REPORT_PAGE,
  REPORT_STATUSES,
  reportDeadline,
  type Report,
} from './reports-model.js';
import { ReportStatsSection } from './reports-stats.js';

import { OperatorReportPage, ReportCountdown } from './report-detail.js';
import { ReferredReportPage } from './referred-report.js';
import { HeldReportList } from './held-report.js';

/** One report: an authority reads those referred to it (`referred-report.tsx`), operators every report. */
export function ReportPage(props: { id: string }) {
  const role = useFullSession().person.role;
  return role === 'authority' ? <ReferredReportPage id={props.id} /> : <OperatorReportPage id={props.id} />;
}

type Cursor = NonNullable<ReturnType<typeof nextPageAfter>>;

/**
 * The reports, newest first, with filters and keyset pages ("more"); overdue ones marked in words too. `referred`:
 * an authority's, those referred to its tenant (by status only).
 */
function ReportList(props: { referred?: boolean }) {
  const referred = props.referred === true;
  const i18n = useI18n();
  const { t } = i18n;
  const filters = useFormValues({ status: '', channel: '' });
  const { status, channel } = filters.values;
  const now = useNow(1000);
  const filterQuery = {
    ...(REPORT_STATUSES.find((s) => s === status) === undefined
      ? {}
      : { status: status as (typeof REPORT_STATUSES)[number] }),
    ...(REPORT_CHANNELS.find((c) => c === channel) === undefined
      ? {}
      : { channel: channel as (typeof REPORT_CHANNELS)[number] }),
  };
  const load = (before?: Cursor) => {
    const query = { limit: REPORT_PAGE, ...filterQuery, ...before };
    const { channel: _channel, ...byStatus } = query;
    return (
      referred
        ? ok(api.GET('/v1/referred-reports', { params: { query: byStatus } }))
        : ok(api.GET('/v1/reports', { params: { query } }))
    ).then((r) => r.reports);
  };
  const first = useLoad(() => load(), [status, channel]);
  const [later, setLater] = useState<Report[]>([]);
  const [cursor, setCursor] = useState<Cursor | null>(null);
  useEffect(() => {
    setLater([]);
    setCursor(first.data === null ? null : nextPageAfter(first.data, REPORT_PAGE));
  }, [first.data]);
  const more = useAction(async () => {
    if (cursor === null) return;
    const page = await load(cursor);
    setLater((l) => [...l, ...page]);
    setCursor(nextPageAfter(page, REPORT_PAGE));
  });
  const shown = [...(first.data ?? []), ...later];
  const overdue = shown.filter((r) => reportDeadline(r, now).kind === 'overdue').length;
  return (
    <section aria-labelledby="report-list-title">
      <div class="page-head">
        <h2 id="report-list-title">{t(referred ? 'referred.listTitle' : 'reports.listTitle')}</h2>
        <RefreshButton onRefresh={first.reload} />
      </div>
      <Filters>
        <FilterChoice
          id="report-status"
          label={t('reports.filterStatus')}
          {...filters.bind('status')}
          options={REPORT_STATUSES.map((s) => ({ value: s, label: reportStatusLabel(i18n, s) }))}
        />
        {referred ? null : (
          <FilterChoice
            id="report-channel"
            label={t('reports.filterChannel')}
            {...filters.bind('channel')}
            options={REPORT_CHANNELS.map((c) => ({ value: c, label: channelLabel(i18n, c) }))}
          />
        )}
      </Filters>
      <LoadStatus loads={[first]} error={more.error} />
      <p role="status" class="summary" data-testid="report-summary">
        {referred
          ? t('referred.summary', { count: shown.length })
          : t('reports.summary', { count: shown.length, overdue })}
      </p>
      <RecordTable
        caption={t(referred ? 'referred.caption' : 'reports.caption')}
        columns={[
          'reports.receivedAt',
          'reports.deadline',
          'reports.status',
          'reports.channel',
          'reports.category',
          'reports.urls',
        ]}
        class="orders"
        testId="reports"
      >
        {shown.map((r) => {
          const d = reportDeadline(r, now);
          const late = d.kind === 'overdue';
          return (
            <tr key={r.id} data-report-id={r.id} class={late ? 'overdue' : undefined}>
              <td>
                <Link to={`reports/${r.id}`}>{i18n.dateTime(r.receivedAt)}</Link>
              </td>
              <td>
                {late ? <strong class="badge">{t('reports.overdueMark')}</strong> : null}{' '}
                <ReportCountdown state={d} />
              </td>
              <td>{reportStatusLabel(i18n, r.status)}</td>
              <td>{channelLabel(i18n, r.channel)}</td>
              <td>{categoryLabel(i18n, r.category)}</td>
              <td class="subject">
                {r.subjects[0]?.url ?? '—'}
                {r.subjects.length > 1 ? (
                  <span class="muted"> ({t('reports.urlCount', { count: r.subjects.length })})</span>
                ) : null}
              </td>
            </tr>
          );
        })}
      </RecordTable>
      {cursor === null ? null : (
        <p>
          <button type="button" class="secondary" disabled={more.busy} onClick={() => void more.run()}>
            {t('reports.more')}
          </button>
        </p>
      )}
    </section>
  );
}

/**
 * Citizens' reports (issue 23): the programme's figures for everyone who may read them (authorities too), for the
 * hotline, reviewers and admins the reports themselves, for an authority those referred to it.
 */
export function ReportsPage() {
  const { t } = useI18n();
  const role = useFullSession().person.role;
  const operator = role === 'hotline' || role === 'reviewer' || role === 'admin';
  return (
    <Page title={t('reports.title')}>
      <ReportStatsSection />
      {operator ? (
        <ReportList />
      ) : role === 'authority' ? (
        <>
          <ReportList referred />
          <HeldReportList />
        </>
      ) : (
        <p class="notice">{t('reports.statsOnly')}</p>
      )}
    </Page>
  );
}
