import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClosedOrderStatuses } from '@mod/orders';
import copyStreams from 'pg-copy-streams';
import type { Pool, PoolClient, Queryable } from './pool.js';
import { setLocalStatementTimeout, withTransaction } from './pool.js';
import { copyTextField } from './copy-text.js';

const { from: copyFrom } = copyStreams;

/**
 * Blocklist feed storage per ISP, one row per entry (`feed_entries`): each row is live from the serial that
 * added it until the serial that removed it, and keeps the lines the entry renders to. "Changes since serial N"
 * is a range query over rows added or removed after N; a full feed streams the live rows' lines in byte order
 * straight from the database. Serials only ever rise; history is kept for {@link FEED_CHANGES_KEPT} serials.
 * Planning and rendering stay pure (@mod/urls, passed in as a {@link FeedRenderer}); this module keeps the rows
 * up to date, `feeds-lines.ts` reads them.
 */
export interface FeedEntry {
  id: string;
  target: string;
  dedicatedToAbuse: boolean;
}

/** The lines one entry renders to (see `feedLinesOf` in @mod/urls); null where it is not in that feed. */
export interface FeedEntryLines {
  urlLine: string | null;
  hostLine: string | null;
  rpzHost: string | null;
}

/** What the store needs from the renderer: the next serial, each entry's lines, and the rendering's version. */
export interface FeedRenderer {
  /**
   * The rendering's version, raised when the lines of an entry change. Stored lines rendered by an older version
   * are rendered again (and the serial rises); a renderer older than the stored lines never re-renders them.
   */
  version: number;
  nextSerial(serial: number): number;
  linesOf(entry: FeedEntry): FeedEntryLines;
}

/** An ISP's feed: its serial, and the oldest `since` an incremental answer can start from. */
export interface FeedState {
  serial: number;
  /** Incremental answers exist for `since` in `historyFrom..serial`; older ones get the full feed. */
  historyFrom: number;
}

/** Serials of history kept per ISP; an older `since` gets the full feed. */
export const FEED_CHANGES_KEPT = 1000;

/** Orders that stay in feeds: every status except the closed ones. */
const CLOSED_ORDER_STATUSES = ClosedOrderStatuses;

/**
 * What an ISP must block now: its open blocking orders whose subject is a URL (URL-level) or a host (host-level,
 * a whole name; never an authority's request folded into one of them: the ISP received one order), plus live URL-list entries flagged for blocking in enabled, non-negative banks. Following IWF
 * practice a URL-list host or domain entry is listed only when dedicated to abuse. Ids are stable:
 * `order:<id>`, `url-entry:<id>`. Parameters: $1 the ISP, $2 the closed order statuses.
 */
const WANTED_SQL = `
     select 'order:' || o.id as id, o.subject_value as target, o.subject_type = 'host' as dedicated
       from orders o
      where o.kind = 'blocking' and o.target_tenant_id = $1 and o.subject_type in ('url', 'host')
        and o.status <> all($2::text[]) and o.folded_into is null
     union all
     select 'url-entry:' || e.id, e.pattern, e.dedicated_to_abuse
       from url_list_entries e join banks b on b.id = e.bank_id
      where e.removed_at is null and e.block and b.enabled and not b.negative
        and (e.kind in ('url', 'prefix') or e.dedicated_to_abuse)`;

/** The digest of the feed's inputs (see `feedInputs`), an expression. Parameters: $1 the ISP, $2 the closed order statuses. */
const FEED_INPUTS_SQL = `concat_ws('|',
       (select string_agg(bank_id::text || ':' || added || ':' || removed, ',' order by bank_id)
          from url_list_counts),
       (select md5(coalesce(string_agg(id::text || ':' || enabled || ':' || negative, ',' order by id), ''))
          from banks),
       (select md5(coalesce(string_agg(o.id::text, ',' order by o.id), '')) from orders o
         where o.kind = 'blocking' and o.target_tenant_id = $1 and o.subject_type in ('url', 'host')
           and o.status <> all($2::text[]) and o.folded_into is null))`;

/** The entries an ISP's feed must hold now, by id (see {@link WANTED_SQL}). */
export async function listWantedBlocklist(db: Queryable, ispTenantId: string): Promise<FeedEntry[]> {
  const { rows } = await db.query<{ id: string; target: string; dedicated: boolean }>(
    `/* api:feed-wanted */ ${WANTED_SQL} order by 1`,
    [ispTenantId, CLOSED_ORDER_STATUSES],
  );
  return rows.map((r) => ({ id: r.id, target: r.target, dedicatedToAbuse: r.dedicated }));
}

/** The ISP's feed state, without creating or locking it (null before its first refresh). */
export async function getFeedState(db: Queryable, ispTenantId: string): Promise<FeedState | null> {
  const { rows } = await db.query<{ serial: number; history_from: number }>(
    `/* api:feed-state */ select serial, history_from from feed_state where isp_tenant_id = $1`,
    [ispTenantId],
  );
  const r = rows[0];
  return r === undefined ? null : { serial: Number(r.serial), historyFrom: Number(r.history_from) };
}

/**
 * The ISP's feed state when it is up to date (what a refresh would leave as it is: the lines rendered by this
 * renderer's version or a newer one, and the same inputs as at the last refresh), else null; read without
 * locking, so a poll whose feed has not changed never waits behind a refresh (another ISP's, or its own).
 */
export async function upToDateFeedState(
  db: Queryable,
  ispTenantId: string,
  renderer: Pick<FeedRenderer, 'version'>,
): Promise<FeedState | null> {
  const { rows } = await db.query<{ serial: number; history_from: number; current: boolean }>(
    `/* api:feed-up-to-date */ select serial, history_from,
       render_version >= $3 and inputs = (${FEED_INPUTS_SQL}) as current
       from feed_state where isp_tenant_id = $1`,
    [ispTenantId, CLOSED_ORDER_STATUSES, renderer.version],
  );
  const r = rows[0];
  return r?.current === true ? { serial: Number(r.serial), historyFrom: Number(r.history_from) } : null;
}

/** Above this many new rows (the first build of a large list) they are streamed in with COPY. */
const COPY_ABOVE = 5_000;

/**
 * Brings the ISP's stored feed up to date with what it must block now, in one transaction holding the ISP's
 * feed row (concurrent refreshes of one ISP serialise; one change never gets two serials): the database diffs
 * the wanted entries against the live rows; only when something changed does the serial rise, the removed rows
 * get `removed_serial`, the new ones are rendered and inserted, and history older than `historyKept`
 * ({@link FEED_CHANGES_KEPT}) serials is pruned. Returns the state and how many entries were added and removed.
 */
export async function refreshFeedState(
  pool: Pool,
  ispTenantId: string,
  renderer: FeedRenderer,
  options: { historyKept?: number } = {},
): Promise<FeedState & { added: number; removed: number }> {
  const kept = options.historyKept ?? FEED_CHANGES_KEPT;
  return withTransaction(pool, async (c) => {
    await c.query(
      `/* api:feed-init */ insert into feed_state (isp_tenant_id, serial, history_from, render_version)
       values ($1, 1, 1, $2) on conflict (isp_tenant_id) do nothing`,
      [ispTenantId, renderer.version],
    );
    const { rows } = await c.query<{
      serial: number;
      history_from: number;
      render_version: number | null;
      inputs: string | null;
    }>(
      `/* api:feed-lock */ select serial, history_from, render_version, inputs from feed_state
       where isp_tenant_id = $1 for update`,
      [ispTenantId],
    );
    const state = rows[0];
    if (state === undefined) throw new Error('feed state vanished after insert');
    const serial = Number(state.serial);
    const historyFrom = Number(state.history_from);
    // `render_version` is the oldest version any live line was rendered by (none after the migration to rows).
    // Lines older than this renderer are all written again. An older renderer, during a rolling deploy or after
    // a rollback, only adds its own lines for changed entries and marks them as its own: were it to rebuild too,
    // the old and new API pods would take turns rebuilding every line, each time raising the serial and
    // dropping the history every ISP's incremental fetch starts from.
    const storedVersion = state.render_version;
    const rebuild = storedVersion === null || storedVersion < renderer.version;
    // Read before the diff: a change committed in between makes the next refresh diff again (never miss one).
    const inputs = await feedInputs(c, ispTenantId);
    if (!rebuild && inputs === state.inputs) return { serial, historyFrom, added: 0, removed: 0 };
    // A large list: hash joins in memory, no JIT compilation (it costs more than it saves here).
    await setLocalStatementTimeout(c, 10 * 60_000);
    await c.query(`set local work_mem = '256MB'`);
    await c.query(`set local jit = off`);
    const diff = await c.query<{ op: 'added' | 'removed'; id: string; target: string; dedicated: boolean }>(
      rebuild
        ? `/* api:feed-rebuild */ with wanted as (${WANTED_SQL})
           select 'added' as op, id, target, dedicated from wanted
           union all
           select 'removed', entry_id, target, dedicated from feed_entries
            where isp_tenant_id = $1 and removed_serial is null`
        : `/* api:feed-diff */ with wanted as materialized (${WANTED_SQL}),
           live as materialized (select entry_id, target, dedicated from feed_entries
                                  where isp_tenant_id = $1 and removed_serial is null)
           select 'added' as op, w.id, w.target, w.dedicated from wanted w
            where not exists (select 1 from live l where l.entry_id = w.id and l.target = w.target
                                and l.dedicated = w.dedicated)
           union all
           select 'removed', l.entry_id, l.target, l.dedicated from live l
            where not exists (select 1 from wanted w where w.id = l.entry_id and w.target = l.target
                                and w.dedicated = l.dedicated)`,
      [ispTenantId, CLOSED_ORDER_STATUSES],
    );
    const added = diff.rows.filter((r) => r.op === 'added');
    const removed = diff.rows.filter((r) => r.op === 'removed');
    if (!rebuild && added.length === 0 && removed.length === 0) {
      await c.query(`/* api:feed-inputs */ update feed_state set inputs = $2 where isp_tenant_id = $1`, [
        ispTenantId,
        inputs,
      ]);
      return { serial, historyFrom, added: 0, removed: 0 };
    }
    const next = renderer.nextSerial(serial);
    if (removed.length > 0) {
      await c.query(
        `/* api:feed-remove */ update feed_entries set removed_serial = $2
         where isp_tenant_id = $1 and removed_serial is null and ($3::boolean or entry_id = any($4::text[]))`,
        [ispTenantId, next, rebuild, rebuild ? [] : removed.map((r) => r.id)],
      );
    }
    const adding: AddedRows = { ispTenantId, serial: next, rows: added, renderer };
    if (added.length > COPY_ABOVE) await copyRows(c, adding);
    else await insertRows(c, adding);
    const from = rebuild ? next : Math.max(historyFrom, next - kept);
    // After a rebuild every live line is this renderer's; otherwise the lines it added may be older than the rest.
    const stored = storedVersion ?? renderer.version;
    const version = rebuild
      ? renderer.version
      : added.length > 0
        ? Math.min(stored, renderer.version)
        : stored;
    await c.query(
      `/* api:feed-save */ update feed_state set serial = $2, history_from = $3, render_version = $4,
         inputs = $5, updated_at = now() where isp_tenant_id = $1`,
      [ispTenantId, next, from, version, inputs],
    );
    // Rows removed at or before `from` were live neither at any answerable `since` nor now; nor those removed
    // after `serial`, which a full feed still being streamed at `serial` reads (a rebuild's `from` is `next`:
    // its old rows go at a later refresh, answering nothing meanwhile).
    await c.query(
      `/* api:feed-prune */ delete from feed_entries where isp_tenant_id = $1 and removed_serial <= $2`,
      [ispTenantId, Math.min(from, serial)],
    );
    return { serial: next, historyFrom: from, added: added.length, removed: removed.length };
  });
}

/**
 * A digest of everything the wanted entries depend on, cheap to read: per URL-list bank how many entries were
 * ever added and removed (kept by statement triggers; rows change only by one removal and are never deleted,
 * which a trigger enforces, so the counts move with every committed change), every bank's switches, and the
 * ISP's open blocking orders (their subjects never change). Equal digests, equal wanted entries.
 */
async function feedInputs(c: PoolClient, ispTenantId: string): Promise<string> {
  const { rows } = await c.query<{ inputs: string }>(
    `/* api:feed-inputs */ select ${FEED_INPUTS_SQL} as inputs`,
    [ispTenantId, CLOSED_ORDER_STATUSES],
  );
  return rows[0]?.inputs ?? '';
}

/** The rows a refresh adds to an ISP's feed at `serial`, and how each renders. */
interface AddedRows {
  ispTenantId: string;
  serial: number;
  rows: readonly { id: string; target: string; dedicated: boolean }[];
  renderer: FeedRenderer;
}

const linesOf = (a: AddedRows, r: AddedRows['rows'][number]) =>
  a.renderer.linesOf({ id: r.id, target: r.target, dedicatedToAbuse: r.dedicated });

/** Inserts a few new rows in one statement. */
async function insertRows(c: PoolClient, a: AddedRows): Promise<void> {
  const { ispTenantId, serial, rows } = a;
  const lines = rows.map((r) => linesOf(a, r));
  await c.query(
    `/* api:feed-insert */ insert into feed_entries (isp_tenant_id, entry_id, target, dedicated, added_serial,
       url_line, host_line, rpz_host)
     select $1, r.id, r.target, r.dedicated, $2, r.url_line, r.host_line, r.rpz_host
     from unnest($3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::text[])
       as r(id, target, dedicated, url_line, host_line, rpz_host)`,
    [
      ispTenantId,
      serial,
      rows.map((r) => r.id),
      rows.map((r) => r.target),
      rows.map((r) => r.dedicated),
      lines.map((l) => l.urlLine),
      lines.map((l) => l.hostLine),
      lines.map((l) => l.rpzHost),
    ],
  );
}

/** Renders and streams many new rows into the table (bounded memory for the rendered text). */
async function copyRows(c: PoolClient, a: AddedRows): Promise<void> {
  const { ispTenantId, serial, rows } = a;
  function* text(): Generator<string> {
    for (let i = 0; i < rows.length; i += 2000) {
      let chunk = '';
      for (const r of rows.slice(i, i + 2000)) {
        const l = linesOf(a, r);
        chunk +=
          [ispTenantId, r.id, r.target, r.dedicated, serial, l.urlLine, l.hostLine, l.rpzHost]
            .map(copyTextField)
            .join('\t') + '\n';
      }
      yield chunk;
    }
  }
  await pipeline(
    Readable.from(text()),
    c.query(
      copyFrom(
        `copy feed_entries (isp_tenant_id, entry_id, target, dedicated, added_serial, url_line, host_line,
           rpz_host) from stdin`,
      ),
    ),
  );
}
