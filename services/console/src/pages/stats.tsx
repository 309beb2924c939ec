import { useMemo } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Order, OrderStats } from '../api/types.js';
import { useI18n, type I18n } from '../i18n/locale.js';
import { Chart } from '../ui/chart.js';
import { downloadText, ErrorNote, Loading, Page, useLoad } from '../ui/kit.js';
import { loadOrders } from './desk.js';
import { CLOSED_STATUSES, deadlineState, toCsv } from './orders-model.js';

type Row = OrderStats['overall'];
/** The deadline the charts measure against (Decree 147/2024: 24 hours after an authority's request). */
const DEADLINE_HOURS = 24;

/** Orders issued per day (in the person's time zone), split by where they stand now. */
export function ordersPerDay(orders: readonly Order[], timeZone: string, nowMs: number) {
  const dayOf = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  const days = new Map<string, { open: number; handled: number; overdue: number }>();
  for (const o of orders) {
    const day = dayOf.format(new Date(o.issuedAt));
    const d = days.get(day) ?? { open: 0, handled: 0, overdue: 0 };
    const s = deadlineState(o, nowMs);
    if (s.kind === 'overdue') d.overdue++;
    else if (CLOSED_STATUSES.includes(o.status) || s.kind === 'done') d.handled++;
    else d.open++;
    days.set(day, d);
  }
  const sorted = [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    // Noon UTC of each calendar day: the axis label is that day in any zone within ±12 h.
    x: sorted.map(([day]) => Date.parse(`${day}T12:00:00Z`) / 1000),
    days: sorted.map(([day]) => day),
    open: sorted.map(([, d]) => d.open),
    handled: sorted.map(([, d]) => d.handled),
    overdue: sorted.map(([, d]) => d.overdue),
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
    ...stats.byTarget.map((k) => row(`${t('stats.target')}: ${k.targetTenantId}`, k)),
  ]);
}

/** Statistics: orders over time, time to action against the deadline, share handled in time, per target. */
export function StatsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const stats = useLoad(() => ok(api.GET('/v1/order-stats')), []);
  const orders = useLoad(() => loadOrders({}), []);
  const perDay = useMemo(
    () => (orders.data === null ? null : ordersPerDay(orders.data, i18n.timeZone, Date.now())),
    [orders.data, i18n.timeZone],
  );
  const s = stats.data;
  const targets = s?.byTarget ?? [];
  const targetNames = useMemo(() => targets.map((r) => r.targetTenantId), [targets]);
  const targetX = useMemo(() => targets.map((_r, i) => i), [targets]);
  return (
    <Page
      title={t('stats.title')}
      actions={
        s === null ? null : (
          <button
            type="button"
            onClick={() =>
              downloadText(`order-stats-${s.at.slice(0, 10)}.csv`, 'text/csv', statsCsv(i18n, s))
            }
          >
            {t('stats.csv')}
          </button>
        )
      }
    >
      <ErrorNote error={stats.error ?? orders.error} />
      {s === null ? (
        <Loading />
      ) : (
        <>
          <dl class="facts" data-testid="stats-overall">
            <dt>{t('stats.received')}</dt>
            <dd>{i18n.number(s.overall.received)}</dd>
            <dt>{t('stats.handled')}</dt>
            <dd>{i18n.number(s.overall.handled)}</dd>
            <dt>{t('stats.overdue')}</dt>
            <dd>{i18n.number(s.overall.overdue)}</dd>
            <dt>{t('stats.withinShare')}</dt>
            <dd>
              {s.overall.withinDeadlineShare === null
                ? '—'
                : i18n.number(s.overall.withinDeadlineShare, { style: 'percent', maximumFractionDigits: 1 })}
            </dd>
          </dl>
          {perDay === null ? null : (
            <>
              <h2>{t('stats.perDay')}</h2>
              <Chart
                label={t('stats.perDayLabel')}
                x={perDay.x}
                xLabel={t('stats.day')}
                locale={i18n.locale}
                timeZone={i18n.timeZone}
                yLabel={t('stats.orders')}
                series={[
                  { label: t('stats.open'), values: perDay.open, stroke: '#1f5fa8' },
                  { label: t('stats.handled'), values: perDay.handled, stroke: '#2b7a3d', dash: [6, 3] },
                  { label: t('stats.overdue'), values: perDay.overdue, stroke: '#b3261e', dash: [2, 2] },
                ]}
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
          <h2>{t('stats.perTarget')}</h2>
          <table data-testid="stats-targets">
            <caption class="visually-hidden">{t('stats.perTarget')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('stats.target')}</th>
                <th scope="col">{t('stats.received')}</th>
                <th scope="col">{t('stats.handled')}</th>
                <th scope="col">{t('stats.overdue')}</th>
                <th scope="col">{t('stats.withinShare')}</th>
                <th scope="col">{t('stats.actionMedianHours')}</th>
              </tr>
            </thead>
            <tbody>
              {targets.map((r) => (
                <tr key={r.targetTenantId}>
                  <th scope="row">{r.targetTenantId}</th>
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
            </tbody>
          </table>
        </>
      )}
    </Page>
  );
}
