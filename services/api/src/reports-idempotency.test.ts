import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { erasePersonalData } from '@mod/db/reports';
import { parseSecretKey } from '@mod/people';
import { createRegistry } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';
import { trackingDigest } from './reports/intake.js';
import { REPORT_IDEMPOTENCY_WINDOW_MS } from './reports/replay.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { bearer, errorCodeOf } from './testing.test-helper.js';

/**
 * `POST /v1/reports` with an Idempotency-Key: a hotline client that retries after a timeout gets its first answer
 * again (the same tracking code, kept sealed for the window), and nothing is filed or counted twice; the key with
 * another report is refused; keys are per tenant; a concurrent double submit files one report.
 */
const api = useCallersWorld(
  {
    hotline: ['idem-hotline', 'hotline'],
    other: ['idem-hotline-2', 'hotline'],
    platform: ['idem-plat', 'platform'],
  },
  { build: { reports: TEST_REPORT_SETTINGS } },
);

const report = (url: string) => ({
  urls: [url],
  category: 'grooming',
  description: 'a caller described it',
  contact: { name: 'Nguyễn Văn Idem', phone: '+84 912 345 678' },
  consents: { contact: true, followUp: true },
});

interface Filed {
  id: string;
  trackingCode: string;
  status: string;
  dueAt: string;
  subjects: { opened: number; folded: number } | null;
}

const post = (app: FastifyInstance, key: string, body: unknown, idempotencyKey?: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/reports',
    headers: {
      ...bearer(key),
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
    payload: body as Record<string, unknown>,
  });

const reportsOf = async (tenantId: string) =>
  Number(
    (await api.db.query<{ n: string }>('select count(*) as n from reports where tenant_id = $1', [tenantId]))
      .rows[0]?.n,
  );

const filedAudits = async (reportId: string) =>
  Number(
    (
      await api.db.query<{ n: string }>(
        `select count(*) as n from audit_records where record::jsonb ->> 'action' = 'report.filed'
         and record::jsonb #>> '{subject,id}' = $1`,
        [reportId],
      )
    ).rows[0]?.n,
  );

describe('POST /v1/reports with an Idempotency-Key', () => {
  it('answers a retry with the first report, its tracking code included, and files and counts it once', async () => {
    const registry = createRegistry('api');
    const app = await api.world.build({ reports: TEST_REPORT_SETTINGS, registry });
    const body = report('https://idem.example/one.jpg');
    const first = await post(app, api.keys.hotline, body, 'call-2026-12-06-0001');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(app, api.keys.hotline, body, 'call-2026-12-06-0001');
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<Filed>()).toEqual(first.json<Filed>());
    const { id, trackingCode } = first.json<Filed>();
    expect(await reportsOf('idem-hotline')).toBe(1);
    expect(await filedAudits(id)).toBe(1);
    const received = await registry.getSingleMetric('mod_reports_received_total')?.get();
    expect(received?.values.find((v) => v.labels['channel'] === 'hotline')?.value).toBe(1);
    // The code is kept only sealed: neither it nor the caller's details are readable in the row.
    const { rows } = await api.db.query<{ sealed: Buffer; report_id: string }>(
      `select sealed, report_id from report_replays where tenant_id = 'idem-hotline'`,
    );
    expect(rows.map((r) => r.report_id)).toEqual([id]);
    const stored = rows[0]!.sealed.toString('latin1');
    for (const plain of [trackingCode, trackingCode.replace(/-/g, ''), trackingDigest(trackingCode), 'Idem'])
      expect(stored).not.toContain(plain);
    // The tracking code answered twice is the report's.
    const byCode = await api.db.query('select id from reports where tracking_sha256 = $1', [
      trackingDigest(trackingCode),
    ]);
    expect(byCode.rows).toEqual([{ id }]);
    // Without a key, the same report is filed again, as before.
    const unkeyed = await post(app, api.keys.hotline, body);
    expect(unkeyed.statusCode).toBe(201);
    expect(unkeyed.json<Filed>().id).not.toBe(id);
    expect(await reportsOf('idem-hotline')).toBe(2);
  });

  it('refuses the key with another report (409), and keeps keys apart per tenant', async () => {
    const body = report('https://idem.example/two.jpg');
    const first = await api.call(api.keys.hotline, 'POST', '/v1/reports', body);
    expect(first.statusCode).toBe(201);
    const before = await reportsOf('idem-hotline');
    const keyed = await post(api.app, api.keys.hotline, body, 'retry-me');
    expect(keyed.statusCode).toBe(201);
    for (const other of [
      { ...body, description: 'another call' },
      { ...body, urls: ['https://idem.example/three.jpg'] },
      { ...body, contact: { name: 'Someone Else' } },
    ]) {
      const refused = await post(api.app, api.keys.hotline, other, 'retry-me');
      expect([refused.statusCode, errorCodeOf(refused)]).toEqual([409, 'MOD_ERR_API_IDEMPOTENCY_CONFLICT']);
    }
    // The same key and report from another key's tenant is that tenant's own report.
    const elsewhere = await post(api.app, api.keys.other, body, 'retry-me');
    expect(elsewhere.statusCode).toBe(201);
    expect(elsewhere.headers['idempotent-replayed']).toBeUndefined();
    expect(elsewhere.json<Filed>().trackingCode).not.toBe(keyed.json<Filed>().trackingCode);
    expect(await reportsOf('idem-hotline')).toBe(before + 1);
    expect(await reportsOf('idem-hotline-2')).toBe(1);
    // A platform's replay is its own answer again (subjects withheld from it, as at first).
    const plat = await post(api.app, api.keys.platform, body, 'plat-1');
    const platAgain = await post(api.app, api.keys.platform, body, 'plat-1');
    expect(platAgain.json<Filed>()).toEqual(plat.json<Filed>());
    expect(plat.json<Filed>().subjects).toBeNull();
  });

  it('files one report for a concurrent double submit with the same key', async () => {
    const before = await reportsOf('idem-hotline');
    const body = report('https://idem.example/race.jpg');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(api.app, api.keys.hotline, body, 'race-key')),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.json<Filed>().trackingCode)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(5);
    expect(await reportsOf('idem-hotline')).toBe(before + 1);
  });

  it('refuses malformed keys, and keys it cannot keep sealed, storing nothing', async () => {
    const before = await reportsOf('idem-hotline');
    const body = report('https://idem.example/refused.jpg');
    for (const bad of ['', 'with space', 'x'.repeat(201), 'naïve']) {
      const refused = await post(api.app, api.keys.hotline, body, bad);
      expect([refused.statusCode, errorCodeOf(refused)]).toEqual([400, 'MOD_ERR_API_BAD_IDEMPOTENCY_KEY']);
    }
    const keyless = await api.world.build({ reports: { ...TEST_REPORT_SETTINGS, contactKey: null } });
    const { contact: _contact, consents: _consents, ...anonymous } = body;
    const noKey = await post(keyless, api.keys.hotline, anonymous, 'sealed-needs-a-key');
    expect([noKey.statusCode, errorCodeOf(noKey)]).toEqual([503, 'MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE']);
    expect(await reportsOf('idem-hotline')).toBe(before);
    // Sealed under a key this API no longer has: refused, never filed again.
    const kept = await post(api.app, api.keys.hotline, anonymous, 'rotated-away');
    expect(kept.statusCode).toBe(201);
    const rotated = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, contactKey: parseSecretKey(randomBytes(32).toString('base64')) },
    });
    const lost = await post(rotated, api.keys.hotline, anonymous, 'rotated-away');
    expect([lost.statusCode, errorCodeOf(lost)]).toEqual([503, 'MOD_ERR_API_REPORT_REPLAY_UNAVAILABLE']);
    expect(await reportsOf('idem-hotline')).toBe(before + 1);
  });

  it('files anew after the window, and the expired answer is deleted', async () => {
    const t0 = new Date();
    let now = t0;
    const app = await api.world.build({ reports: TEST_REPORT_SETTINGS, now: () => now });
    const body = report('https://idem.example/window.jpg');
    const first = await post(app, api.keys.other, body, 'window-key');
    now = new Date(t0.getTime() + REPORT_IDEMPOTENCY_WINDOW_MS - 1);
    const within = await post(app, api.keys.other, body, 'window-key');
    expect(within.json<Filed>().id).toBe(first.json<Filed>().id);
    now = new Date(t0.getTime() + REPORT_IDEMPOTENCY_WINDOW_MS);
    // Not yet swept: the key is taken anew all the same.
    const after = await post(app, api.keys.other, body, 'window-key');
    expect(after.statusCode).toBe(201);
    expect(after.headers['idempotent-replayed']).toBeUndefined();
    expect(after.json<Filed>().id).not.toBe(first.json<Filed>().id);
    const kept = `select report_id from report_replays where tenant_id = 'idem-hotline-2' and idempotency_key = 'window-key'`;
    expect((await api.db.query(kept)).rows).toEqual([{ report_id: after.json<Filed>().id }]);
    const later = new Date(now.getTime() + REPORT_IDEMPOTENCY_WINDOW_MS);
    const due = `select count(*)::int as n from report_replays where expires_at <= $1`;
    const { rows } = await api.db.query<{ n: number }>(due, [later]);
    expect(rows[0]!.n).toBeGreaterThan(0);
    const erase = { now: later, periodDays: 0, batchSize: 10_000, by: 'test' };
    expect(await erasePersonalData(api.db, 'report-replay', erase)).toBe(rows[0]!.n);
    expect((await api.db.query(kept)).rows).toEqual([]);
    expect((await api.db.query<{ n: number }>(due, [later])).rows[0]!.n).toBe(0);
  });
});
