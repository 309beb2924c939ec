import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { Pool, PoolClient, Queryable } from './pool.js';

const { to: copyTo } = copyStreams;

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

/**
 * The ISP's full feed as of `serial`: `head`, then the distinct lines of the entries live at that serial, in
 * byte order, one per line (RPZ: each host's two records), streamed from the database without holding the
 * feed in memory. The stream errors if the database fails mid-way.
 */
export function streamFeedLines(
  pool: Pool,
  a: { ispTenantId: string; serial: number; column: FeedLineColumn; head: string; rpz?: RpzLineOptions },
): Readable {
  if (!COLUMNS.includes(a.column)) throw new Error(`unknown feed line column ${String(a.column)}`);
  if (!Number.isSafeInteger(a.serial) || a.serial < 1) throw new Error('serial must be a positive integer');
  const out = new PassThrough();
  out.write(a.head);
  void (async () => {
    let client: PoolClient | undefined;
    let failed = false;
    try {
      client = await pool.connect();
      const isp = client.escapeLiteral(a.ispTenantId);
      let select: string;
      if (a.column === 'rpz_host') {
        const rpz = a.rpz;
        if (rpz === undefined || !Number.isInteger(rpz.zoneLength) || rpz.zoneLength < 1)
          throw new Error('RPZ lines need the zone length');
        const target = client.escapeLiteral(` CNAME ${rpz.cnameTarget}`);
        select = `select l from (
            select rpz_host || ${target} as l from feed_entries
             where isp_tenant_id = ${isp} and rpz_host is not null and ${liveAt(a.serial)} and ${rpzFits(rpz.zoneLength)}
            union
            select '*.' || rpz_host || ${target} from feed_entries
             where isp_tenant_id = ${isp} and rpz_host is not null and ${liveAt(a.serial)} and ${rpzFits(rpz.zoneLength)}
          ) x order by l collate "C"`;
      } else {
        select = `select distinct ${a.column} from feed_entries
          where isp_tenant_id = ${isp} and ${a.column} is not null and ${liveAt(a.serial)} order by 1`;
      }
      // CSV mode with quote and delimiter bytes no line contains (stored lines have no control characters), so
      // every line goes out as it is, followed by a newline.
      const sql = `copy (${select}) to stdout with (format csv, quote E'\\x01', delimiter E'\\x02')`;
      // JIT compilation of the sort costs more than it saves (and the setting ends with the transaction).
      await client.query('begin');
      await client.query('set local jit = off');
      await pipeline(client.query(copyTo(sql)), out);
      await client.query('commit');
    } catch (err) {
      failed = true;
      out.destroy(err as Error);
    } finally {
      // A connection left mid-COPY is not reusable: drop it.
      client?.release(failed ? true : undefined);
    }
  })();
  return out;
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
