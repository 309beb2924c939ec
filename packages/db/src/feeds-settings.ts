import type { Queryable } from './pool.js';

/** How an ISP's RPZ is written: zone name and NXDOMAIN (walledGardenHost null) or a walled-garden CNAME. */
export interface FeedSettings {
  zoneName: string;
  walledGardenHost: string | null;
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

/**
 * Sets how the ISP's RPZ is written (operators; tests). A change rewrites every record of the zone (its CNAME
 * target) or which names fit in it (its name), so the ISP's feed moves to a new serial with no history: a
 * resolver transferring the zone sees the serial rise, and an incremental answer from an older serial (whose
 * `-name CNAME target` lines would name the old target and remove nothing) becomes the full feed.
 */
export async function setFeedSettings(db: Queryable, ispTenantId: string, s: FeedSettings): Promise<void> {
  const before = await getFeedSettings(db, ispTenantId);
  await db.query(
    `/* api:feed-settings-set */ insert into isp_feed_settings (isp_tenant_id, zone_name, walled_garden_host)
     values ($1, $2, $3) on conflict (isp_tenant_id) do update set zone_name = excluded.zone_name,
       walled_garden_host = excluded.walled_garden_host, updated_at = now()`,
    [ispTenantId, s.zoneName, s.walledGardenHost],
  );
  if (before.zoneName === s.zoneName && before.walledGardenHost === s.walledGardenHost) return;
  // The serial's check constraint refuses a serial past 2^32-1 (the feed must then be re-seeded). Rows removed
  // before stay until a refresh prunes them: a full feed being streamed at an older serial may still read them.
  await db.query(
    `/* api:feed-settings-serial */ update feed_state set serial = serial + 1, history_from = serial + 1,
       updated_at = now() where isp_tenant_id = $1`,
    [ispTenantId],
  );
}
