import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBank } from './banks.js';
import { streamFeedLines } from './feeds-lines.js';
import { refreshFeedState, type FeedRenderer } from './feeds-refresh.js';
import type { Pool } from './pool.js';
import { upsertTenant } from './tenants.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

const renderer: FeedRenderer = {
  version: 1,
  nextSerial: (s) => s + 1,
  linesOf: (e) => ({ urlLine: e.target, hostLine: null, rpzHost: null }),
};

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestSchema();
  pool = db.pool;
  await upsertTenant(pool, { id: 'isp-r', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
});
afterAll(async () => {
  await db?.drop();
});

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

const full = (serial: number) =>
  text(streamFeedLines(pool, { ispTenantId: 'isp-r', serial, column: 'url_line', head: '' }));

describe('refreshFeedState rebuilding the rows (a new rendering version)', () => {
  it('keeps the rows of the previous serial, which a full feed being served may still be reading', async () => {
    const bank = await ensureBank(pool, {
      name: 'rebuild-list',
      source: 'test',
      signalTypes: ['url'] as never,
      actionPolicy: 'automatic',
    });
    await pool.query(
      `insert into url_list_entries (bank_id, kind, pattern, canonical_key)
       values ($1, 'url', 'a.example/1', 'a.example/1'), ($1, 'url', 'b.example/2', 'b.example/2')`,
      [bank.id],
    );
    const { serial } = await refreshFeedState(pool, 'isp-r', renderer);
    expect(await full(serial)).toBe('a.example/1\nb.example/2\n');
    // Another request rebuilds (say, an API with a new renderer) while this one answers at `serial`: the
    // answer is still the feed at `serial`, never an empty zone carrying its serial.
    const rebuilt = await refreshFeedState(pool, 'isp-r', { ...renderer, version: 2 });
    expect(rebuilt).toMatchObject({ serial: serial + 1, historyFrom: serial + 1 });
    expect(await full(serial)).toBe('a.example/1\nb.example/2\n');
    expect(await full(serial + 1)).toBe('a.example/1\nb.example/2\n');
  });
});
