import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs, type Hit } from '@mod/contracts';
import { ensureBank } from '@mod/db/banks';
import { mapHostToPlatform } from '@mod/db/orders';
import { insertSubmission } from '@mod/db/submissions';
import type { ConsumedMessage } from '@mod/kafka';
import { defaultPolicy } from '@mod/policy';
import { Counter, createLogger } from '@mod/telemetry';
import { createTestSchema, decisionWritten, seedTenants, type TestDatabase } from '@mod/testing';
import { createActionStep } from './action-step.js';
import { createPgActionStore } from './action-store.js';
import { createManualClock } from './clock.js';
import { verdictOf } from './verdicts.test-helper.js';

/**
 * Whom a takedown goes to, on a real PostgreSQL through the actioner's step: a URL a platform's metadata merely
 * claims addresses a takedown only to that platform itself; a URL the fetcher fetched addresses whichever platform
 * hosts it. Before, platform A holding any bank-matching file aimed takedowns at platform B by claiming B's URL.
 */
let db: TestDatabase;
let bankId: string;
const at = new Date('2026-12-07T10:00:00Z');

beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [
    { id: 'platform-a', kind: 'platform' },
    { id: 'platform-b', kind: 'platform' },
    { id: 'isp-1', kind: 'isp' },
  ]);
  await mapHostToPlatform(db.pool, 'a.example', 'platform-a');
  await mapHostToPlatform(db.pool, 'b.example', 'platform-b');
  const bank = await ensureBank(db.pool, {
    name: 'known',
    source: 'test',
    signalTypes: ['sha256'],
    actionPolicy: 'automatic',
  });
  bankId = bank.id;
});
afterAll(async () => db?.drop());

const step = () =>
  createActionStep({
    store: createPgActionStore(db.pool, { prefix: `t${randomUUID().slice(0, 8)}` }),
    policy: defaultPolicy,
    orders: new Counter({ name: 'test_orders_total', help: 'test', labelNames: ['kind'], registers: [] }),
    logger: createLogger('actioner-test', 'silent'),
    clock: createManualClock(at),
  });

/** A submission of `tenantId` from `source` with `url`, and its verdict: an automatic bank's exact hit. */
async function actOn(tenantId: string, source: 'kafka' | 'fetcher', url: string) {
  const id = randomUUID();
  await insertSubmission(db.pool, { id, tenantId, source, url, sha256: null, bytes: 1 });
  const sha256 = verdictOf(id, []).hashes.sha256;
  const { rows } = await db.pool.query<{ id: string }>(
    `insert into bank_entries (bank_id, signal, value, category) values ($1, 'sha256', $2, 'A') returning id`,
    [bankId, sha256],
  );
  const hit: Hit = {
    bankId,
    bankName: 'known',
    entryId: String(rows[0]?.id),
    signal: 'sha256',
    distance: 0,
    category: 'A',
    actionPolicy: 'automatic',
    negative: false,
  };
  const verdict = verdictOf(id, [hit], { tenantId, url });
  const message: ConsumedMessage = {
    topic: 'mod.verdicts.v1',
    partition: 0,
    offset: '0',
    key: null,
    value: Codecs.verdict.encode(verdict),
    headers: {},
    timestamp: at.getTime(),
  };
  expect(await step()(message)).toEqual({ kind: 'ok' });
  return decisionWritten(db.pool, id, { subjectId: id, action: 'verdict.recorded' });
}

describe('takedowns for a URL a submitter claims', () => {
  it("sends platform A's claim of platform B's URL no takedown to B, and says why in the case and the audit", async () => {
    const url = `https://cdn.b.example/${randomUUID()}.jpg`;
    const done = await actOn('platform-a', 'kafka', url);
    expect(done.orders).toEqual([['blocking', 'isp-1']]);
    const withheld = {
      reason: 'claimed-url-of-another-platform',
      url,
      host: 'cdn.b.example',
      platformTenantId: 'platform-b',
      submitterTenantId: 'platform-a',
    };
    expect(done.confirm?.evidence['takedownWithheld']).toEqual(withheld);
    expect(done.confirm?.reason).toContain('no takedown sent to platform-b');
    expect(done.audited['takedownWithheld']).toEqual(withheld);
  });

  // Platform A reporting content on its own service; media the fetcher fetched at B's URL (a reported URL).
  it.each([
    ['a platform claiming a URL of its own service its own takedown', 'platform-a', 'kafka', 'a'],
    ["B a takedown for media the fetcher fetched at B's URL", 'isp-1', 'fetcher', 'b'],
  ] as const)('sends %s, as before', async (_, tenantId, source, host) => {
    const done = await actOn(tenantId, source, `https://cdn.${host}.example/${randomUUID()}.jpg`);
    expect(done.orders).toEqual([
      ['blocking', 'isp-1'],
      ['takedown', `platform-${host}`],
    ]);
    expect(done.confirm?.evidence['takedownWithheld']).toBeUndefined();
    expect(done.audited['takedownWithheld']).toBeUndefined();
  });
});
