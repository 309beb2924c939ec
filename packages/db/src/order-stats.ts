import { OrderStatuses, type OrderKind, type OrderStatus } from '@mod/orders';
import { EFFECTIVE_STATUS } from './order-rows.js';
import { orderScopeArgs, orderScopeWhere, type OrderScope } from './order-scope.js';
import type { Queryable } from './pool.js';

/** Time statistics of one group of orders. Seconds; null when no order of the group got that far. */
export interface OrderStats {
  /** Orders received (issued) and handled (actioned, verified or withdrawn). */
  received: number;
  handled: number;
  open: number;
  overdue: number;
  paused: number;
  acknowledgeSeconds: { median: number | null; p90: number | null };
  actionSeconds: { median: number | null; p90: number | null };
  /** Share of actioned orders actioned by their deadline (0..1); null when none was actioned. */
  withinDeadlineShare: number | null;
}

export interface OrderStatsReport {
  overall: OrderStats;
  /** Per target, with the target's tenant kind (`isp`, `platform`; null for a tenant no longer there). */
  byTarget: ({ targetTenantId: string; targetKind: string | null } & OrderStats)[];
  byKind: ({ kind: OrderKind } & OrderStats)[];
}

interface StatsRow {
  grp: string | null;
  received: number;
  handled: number;
  open: number;
  overdue: number;
  paused: number;
  ack_median: number | null;
  ack_p90: number | null;
  act_median: number | null;
  act_p90: number | null;
  within_share: number | null;
}

const toStats = (r: StatsRow): OrderStats => ({
  received: r.received,
  handled: r.handled,
  open: r.open,
  overdue: r.overdue,
  paused: r.paused,
  acknowledgeSeconds: { median: r.ack_median, p90: r.ack_p90 },
  actionSeconds: { median: r.act_median, p90: r.act_p90 },
  withinDeadlineShare: r.within_share,
});

/**
 * Per target, per kind and overall: time from issue to acknowledgement and to action (median, p90), the share
 * actioned within the deadline, open / overdue / paused counts at `now`, reports received versus handled.
 * Folded requests count only for the authority that made them (with their shared order's lifecycle): what
 * targets received, and what oversight counts, is one order per shared order.
 */
export async function orderStats(
  db: Queryable,
  a: { scope: OrderScope; now: Date; since?: Date },
): Promise<OrderStatsReport> {
  const { rows } = await db.query<StatsRow & { dim: string }>(
    `/* api:order-stats */ with o as (
       select o.kind, o.target_tenant_id, o.issued_at, ${EFFECTIVE_STATUS} as status,
         case when o.folded_into is null or o.status = 'withdrawn' then o.deadline_at else p.deadline_at end
           as deadline_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.paused_at else p.paused_at end
           as paused_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.acknowledged_at else p.acknowledged_at end
           as acknowledged_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.actioned_at else p.actioned_at end
           as actioned_at
       from orders o left join orders p on p.id = o.folded_into
       where ${orderScopeWhere(1, 4)} and ($4::text is not null or o.folded_into is null)
         and ($3::timestamptz is null or o.issued_at >= $3)
     )
     select case when grouping(target_tenant_id) = 0 then 'target' when grouping(kind) = 0 then 'kind' else 'overall' end as dim,
       coalesce(target_tenant_id, kind) as grp,
       count(*)::int as received,
       count(*) filter (where status in ('actioned', 'verified', 'withdrawn'))::int as handled,
       count(*) filter (where status not in ('verified', 'withdrawn'))::int as open,
       count(*) filter (where status not in ('verified', 'withdrawn', 'actioned') and paused_at is null
         and deadline_at <= $2)::int as overdue,
       count(*) filter (where status not in ('verified', 'withdrawn') and paused_at is not null)::int as paused,
       percentile_cont(0.5) within group (order by extract(epoch from acknowledged_at - issued_at)) as ack_median,
       percentile_cont(0.9) within group (order by extract(epoch from acknowledged_at - issued_at)) as ack_p90,
       percentile_cont(0.5) within group (order by extract(epoch from actioned_at - issued_at)) as act_median,
       percentile_cont(0.9) within group (order by extract(epoch from actioned_at - issued_at)) as act_p90,
       (count(*) filter (where actioned_at <= deadline_at))::float8
         / nullif(count(*) filter (where actioned_at is not null), 0) as within_share
     from o group by grouping sets ((target_tenant_id), (kind), ())
     order by dim, grp`,
    [orderScopeArgs(a.scope)[0], a.now, a.since ?? null, orderScopeArgs(a.scope)[1]],
  );
  const overall = rows.find((r) => r.dim === 'overall');
  const targetIds = rows.filter((r) => r.dim === 'target').map((r) => r.grp ?? '');
  const kinds = new Map(
    targetIds.length === 0
      ? []
      : (
          await db.query<{ id: string; kind: string }>(
            `/* api:order-stats-target-kinds */ select id, kind from tenants where id = any($1::text[])`,
            [targetIds],
          )
        ).rows.map((r) => [r.id, r.kind]),
  );
  return {
    overall: overall
      ? toStats(overall)
      : toStats({
          grp: null,
          received: 0,
          handled: 0,
          open: 0,
          overdue: 0,
          paused: 0,
          ack_median: null,
          ack_p90: null,
          act_median: null,
          act_p90: null,
          within_share: null,
        }),
    byTarget: rows
      .filter((r) => r.dim === 'target')
      .map((r) => ({
        targetTenantId: r.grp ?? '',
        targetKind: kinds.get(r.grp ?? '') ?? null,
        ...toStats(r),
      })),
    byKind: rows.filter((r) => r.dim === 'kind').map((r) => ({ kind: r.grp as OrderKind, ...toStats(r) })),
  };
}

/** The calendar the per-day series counts in: the authorities' days. */
export const ORDER_STATS_TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** Longest per-day series, days. */
export const MAX_SERIES_DAYS = 366;

/** One day's orders by status: how many orders stood in each status at the end of that day. */
export interface OrderStatusDay {
  /** The day, `YYYY-MM-DD`, in Asia/Ho_Chi_Minh. */
  day: string;
  byStatus: Record<OrderStatus, number>;
}

/**
 * Orders by status over time: for each day from `since`'s day (default the 30 days up to `now`; at most
 * {@link MAX_SERIES_DAYS}) to `now`'s day, in Asia/Ho_Chi_Minh, how many of the orders the scope sees stood in
 * each status at the day's end (or at `now`, for today): each order's last lifecycle event by then, from its
 * history (`order_events`; events that are no status, such as an extension, are skipped). A folded request
 * counts, for the authority that made it only, with its shared order's lifecycle, as in `orderStats`.
 */
export async function orderStatusByDay(
  db: Queryable,
  a: { scope: OrderScope; now: Date; since?: Date },
): Promise<OrderStatusDay[]> {
  const dayMs = 86_400_000;
  const earliest = new Date(a.now.getTime() - (MAX_SERIES_DAYS - 1) * dayMs);
  const since = a.since ?? new Date(a.now.getTime() - 29 * dayMs);
  const from = since < earliest ? earliest : since;
  const [scopeArg, scopeTenant] = orderScopeArgs(a.scope);
  const { rows } = await db.query<{ day: string; status: OrderStatus; n: number }>(
    `/* api:order-status-by-day */ with days as (
       select d::date as day, least((d::date + 1)::timestamp at time zone $5, $2::timestamptz + interval '1 microsecond') as day_end
       from generate_series(($3::timestamptz at time zone $5)::date, ($2::timestamptz at time zone $5)::date,
                            interval '1 day') d
     ), o as (
       select o.issued_at,
         case when o.folded_into is null or o.status = 'withdrawn' then o.id else o.folded_into end as life_id
       from orders o
       where ${orderScopeWhere(1, 4)} and ($4::text is not null or o.folded_into is null) and o.issued_at <= $2
     )
     select to_char(days.day, 'YYYY-MM-DD') as day, s.status, count(*)::int as n
     from days join o on o.issued_at < days.day_end
     cross join lateral (select e.status from order_events e
                         where e.order_id = o.life_id and e.at < days.day_end and e.status = any($6::text[])
                         order by e.id desc limit 1) s
     group by days.day, s.status`,
    [scopeArg, a.now, from, scopeTenant, ORDER_STATS_TIME_ZONE, OrderStatuses],
  );
  const zero = () => Object.fromEntries(OrderStatuses.map((s) => [s, 0])) as Record<OrderStatus, number>;
  const days = new Map<string, Record<OrderStatus, number>>();
  const dayOf = new Intl.DateTimeFormat('en-CA', { timeZone: ORDER_STATS_TIME_ZONE, dateStyle: 'short' });
  for (let t = from.getTime(); ; t += dayMs) {
    const day = dayOf.format(new Date(Math.min(t, a.now.getTime())));
    if (!days.has(day)) days.set(day, zero());
    if (t >= a.now.getTime()) break;
  }
  for (const r of rows) {
    const counts = days.get(r.day) ?? zero();
    counts[r.status] = r.n;
    days.set(r.day, counts);
  }
  return [...days.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([day, byStatus]) => ({ day, byStatus }));
}
