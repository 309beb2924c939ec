import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from './pool.js';
import { migrate, migrationsDir } from './migrate.js';
import { upsertTenant } from './tenants.js';
import { streamFeedLines } from './feeds-lines.js';
import { refreshFeedState, type FeedRenderer } from './feeds-refresh.js';
import { createTestSchema, testUrlList, type TestDatabase } from './testing.test-helper.js';

/** A renderer that needs no URL parsing: the target is the line (URL-level) or the host (dedicated). */
const renderer: FeedRenderer = {
  version: 1,
  nextSerial: (s) => s + 1,
  linesOf: (e) =>
    e.dedicatedToAbuse
      ? { urlLine: null, hostLine: e.target, rpzHost: e.target }
      : { urlLine: e.target, hostLine: null, rpzHost: null },
};

let db: TestDatabase;
let pool: Pool;
let schema: string;
let oldDir: string;

beforeAll(async () => {
  db = await createTestSchema({ migrated: false });
  ({ pool, schema } = db);
  // The migrations before the row store: the feed as one JSON document with JSON change records.
  oldDir = await mkdtemp(join(tmpdir(), 'mod-migrations-'));
  for (const f of await readdir(migrationsDir))
    if (/^000[1-6]_/.test(f)) await copyFile(join(migrationsDir, f), join(oldDir, f));
});
afterAll(async () => {
  await db?.drop();
  await rm(oldDir, { recursive: true, force: true });
});

const urlList = (name: string) => testUrlList(pool, name);

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('migration 0008: feed rows', () => {
  it('keeps each ISP serial, counts existing URL-list entries, and rebuilds the rows at the next serial', async () => {
    expect(await migrate(pool, schema, oldDir)).toEqual([1, 2, 3, 4, 5, 6]);
    await upsertTenant(pool, { id: 'isp-old', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const bank = await urlList('old-list');
    await pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key, dedicated_to_abuse)
       values ($1, 'url', 'a.example/1', 'a.example/1', false), ($1, 'domain', 'b.example', 'b.example', true),
              ($1, 'url', 'gone.example/', 'gone.example/', false)`,
      [bank.id],
    );
    await pool.query(`update url_list_entries set removed_at = now() where pattern = 'gone.example/'`);
    await pool.query(
      `insert into feed_state (isp_tenant_id, serial, entries) values ('isp-old', 41, '[{"id":"x","target":"old.example/","dedicatedToAbuse":false}]')`,
    );
    await pool.query(
      `insert into feed_changes (isp_tenant_id, to_serial, from_serial, added, removed) values ('isp-old', 41, 40, '[]', '[]')`,
    );

    const applied = await migrate(pool, schema);
    expect(applied).toContain(8);
    expect((await pool.query(`select to_regclass('feed_changes') as t`)).rows[0]).toEqual({ t: null });
    expect((await pool.query(`select added, removed from url_list_counts`)).rows).toEqual([
      { added: 3, removed: 1 },
    ]);
    expect((await pool.query(`select serial, history_from from feed_state`)).rows).toEqual([
      { serial: 41, history_from: 42 },
    ]);

    const state = await refreshFeedState(pool, 'isp-old', renderer);
    expect(state).toEqual({ serial: 42, historyFrom: 42, added: 2, removed: 0 });
    const lines = await text(
      streamFeedLines(pool, { ispTenantId: 'isp-old', serial: 42, column: 'url_line', head: '' }),
    );
    expect(lines).toBe('a.example/1\n');
    const hosts = await text(
      streamFeedLines(pool, {
        ispTenantId: 'isp-old',
        serial: 42,
        column: 'rpz_host',
        head: '; head\n',
        rpz: { zoneLength: 13, cnameTarget: '.' },
      }),
    );
    expect(hosts).toBe('; head\n*.b.example CNAME .\nb.example CNAME .\n');
    // Nothing changed: no new serial, no diff.
    expect(await refreshFeedState(pool, 'isp-old', renderer)).toMatchObject({ serial: 42, added: 0 });
  });

  it('counts every later addition and removal per bank (the refresh compares these counts)', async () => {
    const bank = await urlList('new-list');
    await pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key)
       select $1, 'url', 'c.example/' || g, 'c.example/' || g from generate_series(1, 5) g`,
      [bank.id],
    );
    await pool.query(
      `update url_list_entries set removed_at = now() where bank_id = $1 and pattern like '%/1'`,
      [bank.id],
    );
    const { rows } = await pool.query(`select added, removed from url_list_counts where bank_id = $1`, [
      bank.id,
    ]);
    expect(rows).toEqual([{ added: 5, removed: 1 }]);
    const state = await refreshFeedState(pool, 'isp-old', renderer);
    expect(state).toMatchObject({ serial: 43, added: 4 });
  });
});
