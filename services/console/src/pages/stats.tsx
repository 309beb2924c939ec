import { OrderStatuses, type OrderStatus } from '@mod/orders';
import { useMemo } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { OrderStats } from '../api/types.js';
import { useI18n, type I18n } from '../i18n/locale.js';
import { Chart } from '../ui/chart.js';
import { DownloadButton, LoadStatus, Page, useLoad } from '../ui/kit.js';
import { Facts, TitledTable } from '../ui/records.js';
import { statusLabel } from './desk.js';
import { toCsv } from './orders-model.js';

type Row = OrderStats['overall'];
/** The deadline the charts measure against (Decree 147/2024: 24 hours after an authority's request). */
const DEADLINE_HOURS = 24;

/** The statuses charted over time, each with its colour and dash (distinct without colour too). */
const STATUS_STYLE: Readonly<Record<OrderStatus, { stroke: string; dash?: number[] }>> = {
  issued: { stroke: '#1f5fa8' },
  delivered: { stroke: '#0f7b8a', dash: [6, 3] },
  acknowledged: { stroke: '#6b4aa5', dash: [2, 2] },
  actioned: { stroke: '#2b7a3d' },
  verified: { stroke: '#1b5e20', dash: [8, 4] },
  disputed: { stroke: '#b3261e', dash: [4, 2] },
  reopened: { stroke: '#a35200', dash: [2, 4] },
  withdrawn: { stroke: '#5f6368', dash: [1, 3] },
};

/** The server's orders by status per day as chart series: noon UTC of each day, so its label is that day. */
export function statusSeries(byDay: OrderStats['byDay']) {
  return {
    x: byDay.map((d) => Date.parse(`${d.day}T12:00:00Z`) / 1000),
    series: OrderStatuses.map((status) => ({ status, values: byDay.map((d) => d.byStatus[status]) })),
  };
}

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);
const share = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);

function statsCsv(i18n: I18n, stats: OrderStats): string {
  const { t } = i18n;
  const header = [
    t('stats.scope'),
    t('stats.received'),
    t('stats.handled'),
    t('stats.open'),
    t('stats.overdue'),
    t('stats.paused'),
    t('stats.withinShare'),
    t('stats.actionMedianHours'),
    t('stats.actionP90Hours'),
    t('stats.ackMedianHours'),
  ];
  const row = (scope: string, r: Row) => [
    scope,
    r.received,
    r.handled,
    r.open,
    r.overdue,
    r.paused,
    share(r.withinDeadlineShare),
    hours(r.actionSeconds.median),
    hours(r.actionSeconds.p90),
    hours(r.acknowledgeSeconds.median),
  ];
  return toCsv([
    header,
    row(t('stats.overall'), stats.overall),
    ...stats.byKind.map((k) => row(`${t('stats.kind')}: ${k.kind}`, k)),
    ...stats.byTarget.map((k) =>
      row(
        `${t(k.targetKind === 'isp' ? 'stats.isp' : k.targetKind === 'platform' ? 'stats.platform' : 'stats.target')}: ${k.targetTenantId}`,
        k,
      ),
    ),
  ]);
}

/** Orders by status at each day's end, one row per day. */
function statusCsv(i18n: I18n, stats: OrderStats): string {
  return toCsv([
    [i18n.t('stats.day'), ...OrderStatuses.map((st) => statusLabel(i18n, st))],
    ...stats.byDay.map((d) => [d.day, ...OrderStatuses.map((st) => d.byStatus[st])]),
  ]);
}

/** Statistics: orders over time, time to action against the deadline, share handled in time, per target. */
export function StatsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const stats = useLoad(() => ok(api.GET('/v1/order-stats')), []);
  const s = stats.data;
  const perDay = useMemo(() => (s === null ? null : statusSeries(s.byDay)), [s]);
  const targets = s?.byTarget ?? [];
  const targetNames = useMemo(() => targets.map((r) => r.targetTenantId), [targets]);
  const targetX = useMemo(() => targets.map((_r, i) => i), [targets]);
  return (
    <Page
      title={t('stats.title')}
      actions={
        s === null ? null : (
          <>
            <DownloadButton
              label={t('stats.csv')}
              name={`order-stats-${s.at.slice(0, 10)}.csv`}
              type="text/csv"
              text={() => statsCsv(i18n, s)}
            />
            <DownloadButton
              label={t('stats.csvByDay')}
              name={`order-status-by-day-${s.at.slice(0, 10)}.csv`}
              type="text/csv"
              text={() => statusCsv(i18n, s)}
            />
          </>
        )
      }
    >
      <LoadStatus loads={[stats]} />
      {s === null ? null : (
        <>
          <Facts
            testId="stats-overall"
            facts={[
              { label: t('stats.received'), value: i18n.number(s.overall.received) },
              { label: t('stats.handled'), value: i18n.number(s.overall.handled) },
              { label: t('stats.overdue'), value: i18n.number(s.overall.overdue) },
              {
                label: t('stats.withinShare'),
                value:
                  s.overall.withinDeadlineShare === null
                    ? '—'
                    : i18n.number(s.overall.withinDeadlineShare, {
                        style: 'percent',
                        maximumFractionDigits: 1,
                      }),
              },
            ]}
          />
          {perDay === null ? null : (
            <>
              <h2>{t('stats.perDay')}</h2>
              <Chart
                label={t('stats.perDayLabel')}
                x={perDay.x}
                xLabel={t('stats.day')}
                locale={i18n.locale}
                timeZone="UTC"
                yLabel={t('stats.orders')}
                series={perDay.series.map((p) => ({
                  label: statusLabel(i18n, p.status),
                  values: p.values,
                  ...STATUS_STYLE[p.status],
                }))}
              />
            </>
          )}
          <h2>{t('stats.timeToAction')}</h2>
          <Chart
            label={t('stats.timeToActionLabel', { hours: DEADLINE_HOURS })}
            x={targetX}
            xLabel={t('stats.target')}
            categories={targetNames}
            yLabel={t('stats.hours')}
            series={[
              {
                label: t('stats.actionMedianHours'),
                values: targets.map((r) => hours(r.actionSeconds.median)),
                stroke: '#1f5fa8',
                bars: true,
              },
              {
                label: t('stats.actionP90Hours'),
                values: targets.map((r) => hours(r.actionSeconds.p90)),
                stroke: '#6b4aa5',
                dash: [4, 2],
              },
              {
                label: t('stats.deadline'),
                values: targets.map(() => DEADLINE_HOURS),
                stroke: '#b3261e',
                dash: [8, 4],
              },
            ]}
          />
          <TitledTable
            title={t('stats.perTarget')}
            columns={[
              'stats.target',
              'stats.received',
              'stats.handled',
              'stats.overdue',
              'stats.withinShare',
              'stats.actionMedianHours',
            ]}
            testId="stats-targets"
          >
            {targets.map((r) => (
              <tr key={r.targetTenantId}>
                <th scope="row">
                  {r.targetTenantId}
                  {r.targetKind === 'isp' || r.targetKind === 'platform' ? (
                    <span class="muted"> ({t(r.targetKind === 'isp' ? 'stats.isp' : 'stats.platform')})</span>
                  ) : null}
                </th>
                <td>{i18n.number(r.received)}</td>
                <td>{i18n.number(r.handled)}</td>
                <td>{i18n.number(r.overdue)}</td>
                <td>
                  {r.withinDeadlineShare === null
                    ? '—'
                    : i18n.number(r.withinDeadlineShare, { style: 'percent', maximumFractionDigits: 1 })}
                </td>
                <td>{hours(r.actionSeconds.median) ?? '—'}</td>
              </tr>
            ))}
          </TitledTable>
        </>
      )}
    </Page>
  );
}
