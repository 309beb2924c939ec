import type { Queryable } from './pool.js';

/**
 * Blocklist feed storage per ISP: the entries as of the current serial and the change history, so that
 * "changes since serial N" works across restarts and serials only ever rise. Planning and rendering are pure
 * (@mod/urls); this module only reads and writes rows. Shapes mirror `BlocklistEntry` / `BlocklistChange`.
 */
export interface FeedEntry {
  id: string;
  target: string;
  dedicatedToAbuse: boolean;
}

export interface FeedSnapshotRow {
  serial: number;
  entries: FeedEntry[];
}

export interface FeedChangeRow {
  fromSerial: number;
  toSerial: number;
  added: FeedEntry[];
  removed: FeedEntry[];
}

/** How an ISP's RPZ is written: zone name and NXDOMAIN (walledGardenHost null) or a walled-garden CNAME. */
export interface FeedSettings {
  zoneName: string;
  walledGardenHost: string | null;
}

/** Change records kept per ISP; an older `since` gets the full feed. */
export const FEED_CHANGES_KEPT = 1000;

/** Orders that stay in feeds: every status except the closed ones. */
const CLOSED_ORDER_STATUSES = ['verified', 'withdrawn'];

/**
 * What an ISP must block now: its open blocking orders whose subject is a URL (URL-level) or a host (host-level,
 * a whole name), plus live URL-list entries flagged for blocking in enabled, non-negative banks. Following IWF
 * practice a URL-list host or domain entry is listed only when dedicated to abuse. Ids are stable:
 * `order:<id>`, `url-entry:<id>`.
 */
export async function listWantedBlocklist(db: Queryable, ispTenantId: string): Promise<FeedEntry[]> {
  const { rows } = await db.query<{ id: string; target: string; dedicated: boolean }>(
    `/* api:feed-wanted */
     select 'order:' || o.id as id, o.subject_value as target, o.subject_type = 'host' as dedicated
       from orders o
      where o.kind = 'blocking' and o.target_tenant_id = $1 and o.subject_type in ('url', 'host')
        and o.status <> all($2::text[])
     union all
     select 'url-entry:' || e.id, e.pattern, e.dedicated_to_abuse
       from url_list_entries e join banks b on b.id = e.bank_id
      where e.removed_at is null and e.block and b.enabled and not b.negative
        and (e.kind in ('url', 'prefix') or e.dedicated_to_abuse)
     order by 1`,
    [ispTenantId, CLOSED_ORDER_STATUSES],
  );
  return rows.map((r) => ({ id: r.id, target: r.target, dedicatedToAbuse: r.dedicated }));
}

/**
 * Locks the ISP's feed state for this transaction (creating it at serial 1, empty, on first use) and returns
 * it. Concurrent feed requests for one ISP serialise here, so one change never gets two serials.
 */
export async function lockFeedState(db: Queryable, ispTenantId: string): Promise<FeedSnapshotRow> {
  await db.query(
    `/* api:feed-init */ insert into feed_state (isp_tenant_id, serial, entries) values ($1, 1, '[]')
     on conflict (isp_tenant_id) do nothing`,
    [ispTenantId],
  );
  const { rows } = await db.query<{ serial: string; entries: FeedEntry[] }>(
    `/* api:feed-lock */ select serial, entries from feed_state where isp_tenant_id = $1 for update`,
    [ispTenantId],
  );
  const r = rows[0];
  if (!r) throw new Error('feed state vanished after insert');
  return { serial: Number(r.serial), entries: r.entries };
}

/** Stores a new serial and its change record; prunes history beyond {@link FEED_CHANGES_KEPT}. */
export async function saveFeedChange(
  db: Queryable,
  ispTenantId: string,
  snapshot: FeedSnapshotRow,
  change: FeedChangeRow,
): Promise<void> {
  await db.query(
    `/* api:feed-save */ update feed_state set serial = $2, entries = $3, updated_at = now() where isp_tenant_id = $1`,
    [ispTenantId, snapshot.serial, JSON.stringify(snapshot.entries)],
  );
  await db.query(
    `/* api:feed-change */ insert into feed_changes (isp_tenant_id, to_serial, from_serial, added, removed)
     values ($1, $2, $3, $4, $5)`,
    [
      ispTenantId,
      change.toSerial,
      change.fromSerial,
      JSON.stringify(change.added),
      JSON.stringify(change.removed),
    ],
  );
  await db.query(
    `/* api:feed-prune */ delete from feed_changes where isp_tenant_id = $1 and to_serial <= $2`,
    [ispTenantId, change.toSerial - FEED_CHANGES_KEPT],
  );
}

/** Change records with `toSerial > sinceSerial`, for an incremental answer. */
export async function listFeedChanges(
  db: Queryable,
  ispTenantId: string,
  sinceSerial: number,
): Promise<FeedChangeRow[]> {
  const { rows } = await db.query<{
    from_serial: string;
    to_serial: string;
    added: FeedEntry[];
    removed: FeedEntry[];
  }>(
    `/* api:feed-changes */ select from_serial, to_serial, added, removed from feed_changes
     where isp_tenant_id = $1 and to_serial > $2 order by to_serial`,
    [ispTenantId, sinceSerial],
  );
  return rows.map((r) => ({
    fromSerial: Number(r.from_serial),
    toSerial: Number(r.to_serial),
    added: r.added,
    removed: r.removed,
  }));
}

/** The ISP's RPZ settings; defaults (zone `rpz.mod.local`, NXDOMAIN) when none are stored. */
export async function getFeedSettings(db: Queryable, ispTenantId: string): Promise<FeedSettings> {
  const { rows } = await db.query<{ zone_name: string; walled_garden_host: string | null }>(
    `/* api:feed-settings */ select zone_name, walled_garden_host from isp_feed_settings where isp_tenant_id = $1`,
    [ispTenantId],
  );
  const r = rows[0];
  return {
    zoneName: r?.zone_name ?? 'rpz.mod.local',
    walledGardenHost: r?.walled_garden_host ?? null,
  };
}

/** Sets how the ISP's RPZ is written (operators; tests). */
export async function setFeedSettings(db: Queryable, ispTenantId: string, s: FeedSettings): Promise<void> {
  await db.query(
    `/* api:feed-settings-set */ insert into isp_feed_settings (isp_tenant_id, zone_name, walled_garden_host)
     values ($1, $2, $3) on conflict (isp_tenant_id) do update set zone_name = excluded.zone_name,
       walled_garden_host = excluded.walled_garden_host, updated_at = now()`,
    [ispTenantId, s.zoneName, s.walledGardenHost],
  );
}
