import { APPLIED_DEFAULT_NOTE } from './feeds-acks.js';
import type { Queryable } from './pool.js';

// How a blocking order reaches the ISP's filters: whether its ISP's stored feed (`feed_entries`, kept by
// `refreshFeedState`) lists it, and what the ISP last said about applying it (its acknowledgements).

/** The feed entry id of a blocking order (`order:<id>`, as `WANTED_SQL` names it). */
export const orderEntryId = (orderId: string): string => `order:${orderId}`;

/** What the ISP last reported about applying a blocking order (the ack route's events). */
export interface BlockAcknowledgement {
  /** `applied` (the order's `actioned` event), `failed` (`action-failed`), or `none` (no report yet). */
  status: 'applied' | 'failed' | 'none';
  at: string | null;
  /** The ISP's note or reason, as sent (null when it sent none). */
  note: string | null;
}

/** Where a blocking order stands in its ISP's feed and what the ISP said about it. */
export interface BlockListing {
  /** The ISP the order is addressed to. */
  ispTenantId: string;
  /** The order whose entry the feed holds: the order itself, or the one a folded request folds into. */
  entryOrderId: string;
  /** The ISP's feed serial since which the order is listed; null when its feed does not list it (yet). */
  listedSince: number | null;
  /** The ISP's current feed serial; null before its first feed request. */
  feedSerial: number | null;
  acknowledgement: BlockAcknowledgement;
}

/**
 * The listing of a blocking order (`id`) in its ISP's feed, as of the feed's last refresh (each ISP feed request
 * refreshes it), and the ISP's latest acknowledgement. A folded request is listed as the order it folds into (the
 * ISP received that one). Null for no blocking order of that id. The caller has already read the order within its
 * scope.
 */
export async function getBlockListing(db: Queryable, id: string): Promise<BlockListing | null> {
  const { rows } = await db.query<{
    isp: string;
    entry_order: string;
    listed_since: number | null;
    feed_serial: number | null;
    ack_status: string | null;
    ack_at: Date | null;
    ack_note: string | null;
  }>(
    `/* api:block-listing */ with o as (
       select target_tenant_id as isp, coalesce(folded_into, id) as entry_order from orders
        where id = $1 and kind = 'blocking')
     select o.isp, o.entry_order,
       (select f.added_serial from feed_entries f where f.isp_tenant_id = o.isp
          and f.entry_id = 'order:' || o.entry_order and f.removed_serial is null
          order by f.added_serial desc limit 1) as listed_since,
       (select s.serial from feed_state s where s.isp_tenant_id = o.isp) as feed_serial,
       a.status as ack_status, a.at as ack_at, a.note as ack_note
     from o left join lateral (select e.status, e.at, e.note from order_events e
        where e.order_id = o.entry_order and e.status in ('actioned', 'action-failed')
        order by e.id desc limit 1) a on true`,
    [id],
  );
  const r = rows[0];
  if (r === undefined) return null;
  const status =
    r.ack_status === 'actioned' ? 'applied' : r.ack_status === 'action-failed' ? 'failed' : 'none';
  return {
    ispTenantId: r.isp,
    entryOrderId: r.entry_order,
    listedSince: r.listed_since === null ? null : Number(r.listed_since),
    feedSerial: r.feed_serial === null ? null : Number(r.feed_serial),
    acknowledgement: {
      status,
      at: status === 'none' || r.ack_at === null ? null : r.ack_at.toISOString(),
      // The note an acknowledgement without one records is not the ISP's words.
      note: status === 'none' || r.ack_note === APPLIED_DEFAULT_NOTE ? null : r.ack_note,
    },
  };
}

/**
 * The blocking orders behind the URL-list lines of the ISP's feed live at `serial` (lines of URL-list entries
 * alone have none): what an HTTP filtering proxy acknowledges once it applies a line. Every line of the feed, or
 * only `lines` (an incremental answer's, through the URL-line index).
 */
export async function listUrlLineOrders(
  db: Queryable,
  a: { ispTenantId: string; serial: number; lines?: readonly string[] },
): Promise<Map<string, string[]>> {
  if (a.lines?.length === 0) return new Map();
  const only =
    a.lines === undefined
      ? ''
      : ` and text_key(url_line) = any(select text_key(l) from unnest($3::text[]) l) and url_line = any($3::text[])`;
  const { rows } = await db.query<{ line: string; orders: string[] }>(
    `/* api:url-line-orders */ select url_line as line, array_agg(substr(entry_id, 7) order by entry_id) as orders
       from feed_entries
      where isp_tenant_id = $1 and url_line is not null and left(entry_id, 6) = 'order:'
        and added_serial <= $2 and (removed_serial is null or removed_serial > $2)${only}
      group by url_line`,
    [a.ispTenantId, a.serial, ...(a.lines === undefined ? [] : [a.lines])],
  );
  return new Map(rows.map((r) => [r.line, r.orders]));
}

/**
 * The URL lines of the ISP's feed at `toSerial` whose blocking orders changed after `fromSerial`, the line itself
 * staying listed (another entry lists it too: a URL list's, the withdrawn order's until the new one came): an order
 * added to a line a URL list already held, or an order withdrawn and another issued for the same URL between two
 * polls. The text feeds' changes are lines, so these are in none of them; a proxy syncing by changes needs them to
 * acknowledge the request it now applies (the JSON URL list's `added`). Lines added or removed are not told apart
 * here: the caller has them from `listFeedLineChanges`.
 */
export async function listUrlLinesWithOrderChanges(
  db: Queryable,
  a: { ispTenantId: string; fromSerial: number; toSerial: number },
): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `/* api:url-line-order-changes */ select distinct c.url_line as line from feed_entries c
      where c.isp_tenant_id = $1 and c.url_line is not null and left(c.entry_id, 6) = 'order:'
        and greatest(c.added_serial, coalesce(c.removed_serial, 0)) > $2
        and (c.added_serial between $2 + 1 and $3 or c.removed_serial between $2 + 1 and $3)
        and exists (select 1 from feed_entries f where f.isp_tenant_id = $1 and f.url_line = c.url_line
          and text_key(f.url_line) = text_key(c.url_line)
          and f.added_serial <= $3 and (f.removed_serial is null or f.removed_serial > $3))`,
    [a.ispTenantId, a.fromSerial, a.toSerial],
  );
  return rows.map((r) => r.line);
}
