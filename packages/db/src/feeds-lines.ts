import { Readable } from 'node:stream';
import { withTransaction, type Pool, type Queryable } from './pool.js';

// Reading a stored feed (`feed_entries`, kept by `refreshFeedState`): the full feed as of a serial, streamed in
// byte order, and the lines that changed between two serials.

/** Which stored line a feed format lists. */
export type FeedLineColumn = 'url_line' | 'host_line' | 'rpz_host';

/** Only RPZ names whose `*.name.zone` fits in 253 characters are listed (`zoneLength`: the zone name's). */
export interface RpzLineOptions {
  zoneLength: number;
  /** CNAME target of every record: `.` or the walled-garden host, absolute. */
  cnameTarget: string;
}

const COLUMNS: readonly FeedLineColumn[] = ['url_line', 'host_line', 'rpz_host'];

function liveAt(serial: number): string {
  return `added_serial <= ${serial} and (removed_serial is null or removed_serial > ${serial})`;
}

function rpzFits(zoneLength: number): string {
  return `length(rpz_host) + ${zoneLength + 3} <= 253`;
}

/** Lines read from the database at a time (one short statement each): what a full feed holds in memory. */
export const FEED_PAGE_LINES = 2_000;

/**
 * The ISP's full feed as of `serial`: `head`, then the distinct lines of the entries live at that serial, in
 * byte order, one per line (RPZ: each host's two records). Read page by page (keyset on the line), each page a
 * short statement on a connection borrowed from the pool only for it, and the next page only once the reader
 * took the last: a client that reads slowly, or stops, holds no database connection (every other request needs
 * them) and the process holds one page. A refresh that could have pruned rows live at `serial` while the feed
 * was read (a rebuild and one more change) ends the stream with an error, never a feed missing lines. The
 * stream errors if the database fails mid-way.
 */
export function streamFeedLines(
  pool: Pool,
  a: { ispTenantId: string; serial: number; column: FeedLineColumn; head: string; rpz?: RpzLineOptions },
): Readable {
  if (!COLUMNS.includes(a.column)) throw new Error(`unknown feed line column ${String(a.column)}`);
  if (!Number.isSafeInteger(a.serial) || a.serial < 1) throw new Error('serial must be a positive integer');
  const rpz = a.rpz;
  if (
    a.column === 'rpz_host' &&
    (rpz === undefined || !Number.isInteger(rpz.zoneLength) || rpz.zoneLength < 1)
  )
    throw new Error('RPZ lines need the zone length');
  return Readable.from(feedPages(pool, a), { objectMode: false });
}

/** Characters of a URL line its order index holds (migration 0033); longer lines are then ordered in full. */
const URL_LINE_KEY_CHARS = 512;

/**
 * One page of a feed's lines in byte order, after `$2` when `afterLast`: through the line indexes, keyed by the
 * line (`host_line`, `rpz_host`) or by a URL line's first characters and then the whole line (same order).
 */
function pageSql(
  a: { serial: number; column: FeedLineColumn; rpz?: RpzLineOptions },
  afterLast: boolean,
): string {
  const col = a.column;
  const key = (v: string) => (col === 'url_line' ? `left(${v}, ${URL_LINE_KEY_CHARS})` : v);
  const after = afterLast
    ? ` and ${key(col)} >= ${key('$2::text collate "C"')} and ${col} > $2::text collate "C"`
    : '';
  const fits = col === 'rpz_host' ? ` and ${rpzFits(a.rpz!.zoneLength)}` : '';
  // No `distinct`: it would sort every remaining line for each page; equal lines are next to each other instead.
  return `/* api:feed-page */ select ${key(col)} as k, ${col} as l from feed_entries
    where isp_tenant_id = $1 and ${col} is not null and ${liveAt(a.serial)}${fits}${after}
    order by k, l limit ${FEED_PAGE_LINES}`;
}

async function* feedPages(
  pool: Pool,
  a: { ispTenantId: string; serial: number; column: FeedLineColumn; head: string; rpz?: RpzLineOptions },
): AsyncGenerator<string> {
  if (a.head !== '') yield a.head;
  const col = a.column;
  // RPZ: every `*.host` record sorts before every `host` record (`*` is below any name's first byte), and the
  // records of two hosts sort as the hosts do (the space after a name is below any name byte): two passes.
  const passes =
    col === 'rpz_host'
      ? [
          (h: string) => `*.${h} CNAME ${a.rpz!.cnameTarget}`,
          (h: string) => `${h} CNAME ${a.rpz!.cnameTarget}`,
        ]
      : [(line: string) => line];
  for (const line of passes) {
    let after: string | null = null;
    for (;;) {
      // A page is a short walk of an index: JIT compilation and parallel workers would cost more than it does.
      const rows: string[] = await withTransaction(pool, async (c) => {
        await c.query('set local jit = off');
        await c.query('set local max_parallel_workers_per_gather = 0');
        const page = await c.query<{ l: string }>(pageSql(a, after !== null), [
          a.ispTenantId,
          ...(after === null ? [] : [after]),
        ]);
        return page.rows.map((row) => row.l);
      });
      const lines = rows.filter((l, i) => i === 0 || l !== rows[i - 1]);
      if (lines.length > 0) yield lines.map((l) => `${line(l)}\n`).join('');
      if (rows.length < FEED_PAGE_LINES) break;
      after = rows[rows.length - 1]!;
    }
  }
  // A refresh prunes rows removed at or before min(its history start, its previous serial); both only rise.
  const { rows } = await pool.query<{ pruned: boolean }>(
    `/* api:feed-pruned */ select least(history_from, serial - 1) > $2 as pruned from feed_state
      where isp_tenant_id = $1`,
    [a.ispTenantId, a.serial],
  );
  if (rows[0]?.pruned === true) throw new Error(`the feed moved past serial ${a.serial} while it was read`);
}

/**
 * "Changes since serial N" for one feed: the distinct lines (RPZ: hosts) listed at `toSerial` and not at
 * `fromSerial` (added), and the reverse (removed). Only rows added or removed after N are candidates, so the
 * cost follows the size of the change, not of the feed. Unsorted.
 */
export async function listFeedLineChanges(
  db: Queryable,
  a: {
    ispTenantId: string;
    column: FeedLineColumn;
    fromSerial: number;
    toSerial: number;
    rpz?: Pick<RpzLineOptions, 'zoneLength'>;
  },
): Promise<{ added: string[]; removed: string[] }> {
  if (!COLUMNS.includes(a.column)) throw new Error(`unknown feed line column ${String(a.column)}`);
  const fits = a.column === 'rpz_host' ? ` and ${rpzFits(a.rpz?.zoneLength ?? 253)}` : '';
  const col = a.column;
  // URL lines are indexed by their digest (they may be longer than a btree entry): the probes name it.
  const probe = (serial: string) =>
    `f.isp_tenant_id = $1 and f.${col} = c.line${col === 'url_line' ? ' and text_key(f.url_line) = text_key(c.line)' : ''}
               and f.added_serial <= ${serial} and (f.removed_serial is null or f.removed_serial > ${serial})`;
  const { rows } = await db.query<{ line: string; before: boolean; after: boolean }>(
    `/* api:feed-changes */ with candidates as (
       select distinct ${col} as line from feed_entries
        where isp_tenant_id = $1 and ${col} is not null${fits}
          and greatest(added_serial, coalesce(removed_serial, 0)) > $2
     )
     select c.line,
       exists (select 1 from feed_entries f where ${probe('$2')}) as before,
       exists (select 1 from feed_entries f where ${probe('$3')}) as after
     from candidates c`,
    [a.ispTenantId, a.fromSerial, a.toSerial],
  );
  return {
    added: rows.filter((r) => r.after && !r.before).map((r) => r.line),
    removed: rows.filter((r) => r.before && !r.after).map((r) => r.line),
  };
}
