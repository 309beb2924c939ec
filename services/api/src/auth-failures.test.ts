import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { createApiKey, upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { createRegistry, type Registry } from '@mod/telemetry';
import { inOwnWorld } from './callers-world.test-helper.js';
import { apiSpec } from './config.js';
import { createApiTestWorld, type ApiTestWorld } from './testing.test-helper.js';

const NOW = new Date('2026-01-01T00:00:00Z');
/** Failure limit of these tests: 20 in a burst, then (practically) none. */
const LIMIT = { ratePerSecond: 0.001, burst: 20 };

let world: ApiTestWorld;
let validKey: { key: string; prefix: string };

beforeAll(async () => {
  world = await createApiTestWorld();
  const db = world.db.pool;
  await upsertTenant(db, { id: 'isp-n', kind: 'isp', name: 'N', subscribedToBlocking: false });
  validKey = await createApiKey(db, { tenantId: 'isp-n', role: 'isp' });
});
afterAll(async () => world?.close());

const guess = (prefix = randomBytes(9).toString('base64url')) =>
  `mod_${prefix}_${randomBytes(24).toString('base64url')}`;

async function me(app: FastifyInstance, key: string, remoteAddress: string, forwardedFor?: string) {
  const res = await app.inject({
    url: '/v1/me',
    remoteAddress,
    headers: {
      authorization: `Bearer ${key}`,
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
  });
  return res.statusCode;
}

async function failuresCounted(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('mod_api_auth_failures_total')?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[`${v.labels['reason']}/${v.labels['outcome']}`] = v.value;
  return out;
}

/** Runs `fn` on a fresh schema (the audit log counts must not mix between tests). */
const own = <T>(fn: (w: ApiTestWorld, key: string) => Promise<T>): Promise<T> =>
  inOwnWorld(async (w) => {
    await upsertTenant(w.db.pool, { id: 'isp-o', kind: 'isp', name: 'O', subscribedToBlocking: false });
    return fn(w, (await createApiKey(w.db.pool, { tenantId: 'isp-o', role: 'isp' })).key);
  });

describe('failed-key limiting never locks out a valid key', () => {
  it('serves a valid key from an address that sent twenty bad ones; past the limit failures get 429, unaudited but counted', async () => {
    await own(async (w, key) => {
      const registry = createRegistry('api');
      const app = await w.build({ authFailureLimit: LIMIT, now: () => NOW, registry });
      const codes = [];
      for (let i = 0; i < 25; i++) codes.push(await me(app, guess(), '203.0.113.7'));
      expect(codes).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
      expect(await me(app, key, '203.0.113.7')).toBe(200);
      expect(await me(app, key, '203.0.113.7')).toBe(200);
      // Still limited for the next guess: the valid key unlocked nothing.
      expect(await me(app, guess(), '203.0.113.7')).toBe(429);
      const audit = await listAudit(w.db.pool, { limit: 1000 });
      expect(audit.filter((a) => a.action === 'auth.failed')).toHaveLength(20);
      expect(await failuresCounted(registry)).toEqual({ 'unknown/audited': 20, 'unknown/throttled': 6 });
    });
  });

  it('counts an IPv6 client by its /64: guesses from fresh addresses of one /64 are throttled (and no longer audited) as from one address', async () => {
    await own(async (w, key) => {
      const app = await w.build({ authFailureLimit: LIMIT, now: () => NOW });
      const codes = [];
      // Each guess from another address of the attacker's /64, under another key prefix.
      for (let i = 0; i < 25; i++)
        codes.push(await me(app, guess(), `2001:db8:7:7::${(i + 1).toString(16)}`));
      expect(codes).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
      const audit = await listAudit(w.db.pool, { limit: 1000 });
      expect(audit.filter((a) => a.action === 'auth.failed')).toHaveLength(20);
      // Another /64 is another client; a valid key from the throttled /64 is still served.
      expect(await me(app, guess(), '2001:db8:7:8::1')).toBe(401);
      expect(await me(app, key, '2001:db8:7:7::ffff')).toBe(200);
    });
  });

  it('limits failures per failing key prefix across addresses, and still serves the key with that prefix', async () => {
    const app = await world.build({ authFailureLimit: LIMIT, now: () => NOW });
    const codes = [];
    // Wrong secrets for a real key's public prefix, each from another address.
    for (let i = 0; i < 22; i++) codes.push(await me(app, guess(validKey.prefix), `198.51.100.${i + 1}`));
    expect(codes).toEqual([...Array<number>(20).fill(401), 429, 429]);
    expect(await me(app, validKey.key, '198.51.100.1')).toBe(200);
    expect(await me(app, validKey.key, '192.0.2.200')).toBe(200);
    // Another prefix from a fresh address is unaffected.
    expect(await me(app, guess(), '192.0.2.201')).toBe(401);
  });
});

describe('client addresses and trusted proxies', () => {
  const withIpRoute = async (trustedProxies?: readonly string[]) => {
    const app = await world.build({
      authFailureLimit: LIMIT,
      now: () => NOW,
      ...(trustedProxies === undefined ? {} : { trustedProxies }),
    });
    app.get('/v1/test/ip', { config: { public: true } }, async (req) => ({ ip: req.ip }));
    return async (remoteAddress: string, forwardedFor?: string) =>
      (
        await app.inject({
          url: '/v1/test/ip',
          remoteAddress,
          headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
        })
      ).json<{ ip: string }>().ip;
  };

  it('ignores X-Forwarded-For by default: the client is the direct peer', async () => {
    const ipOf = await withIpRoute();
    expect(await ipOf('198.51.100.9', '192.0.2.1')).toBe('198.51.100.9');
    expect(await ipOf('10.1.2.3', '192.0.2.1')).toBe('10.1.2.3');
  });

  it('believes X-Forwarded-For only from a configured proxy, and only the hop that proxy added', async () => {
    const ipOf = await withIpRoute(['10.0.0.0/8', '192.168.7.7']);
    expect(await ipOf('10.1.2.3', '192.0.2.1')).toBe('192.0.2.1');
    expect(await ipOf('192.168.7.7', '192.0.2.1')).toBe('192.0.2.1');
    // Through two trusted proxies: the first address no trusted proxy vouches for.
    expect(await ipOf('10.1.2.3', '192.0.2.1, 10.9.9.9')).toBe('192.0.2.1');
    // A client cannot pose as another by sending the header itself.
    expect(await ipOf('10.1.2.3', '6.6.6.6, 192.0.2.1')).toBe('192.0.2.1');
    expect(await ipOf('198.51.100.9', '192.0.2.1')).toBe('198.51.100.9');
  });

  it('behind a trusted proxy, one client failing does not throttle the others', async () => {
    const app = await world.build({ authFailureLimit: LIMIT, now: () => NOW, trustedProxies: ['10.0.0.1'] });
    const codes = [];
    for (let i = 0; i < 21; i++) codes.push(await me(app, guess(), '10.0.0.1', '192.0.2.50'));
    expect(codes.at(-1)).toBe(429);
    expect(await me(app, guess(), '10.0.0.1', '192.0.2.51')).toBe(401);
    expect(await me(app, validKey.key, '10.0.0.1', '192.0.2.50')).toBe(200);
    // Without the proxy trusted, the header is ignored and everyone behind it is one address.
    const untrusting = await world.build({ authFailureLimit: LIMIT, now: () => NOW });
    for (let i = 0; i < 20; i++) await me(untrusting, guess(), '10.0.0.1', `192.0.2.${i + 1}`);
    expect(await me(untrusting, guess(), '10.0.0.1', '192.0.2.99')).toBe(429);
    expect(await me(untrusting, validKey.key, '10.0.0.1', '192.0.2.99')).toBe(200);
  });

  it('reads API_TRUSTED_PROXIES as IPs and CIDRs, refusing anything else at start-up', () => {
    const kafka = { KAFKA_SASL_USERNAME: 'mod-api', KAFKA_SASL_PASSWORD: 'unused' };
    expect(loadConfig(apiSpec, kafka).API_TRUSTED_PROXIES).toEqual([]);
    expect(
      loadConfig(apiSpec, { ...kafka, API_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1 ,::1,2001:db8::/32' })
        .API_TRUSTED_PROXIES,
    ).toEqual(['10.0.0.0/8', '192.168.1.1', '::1', '2001:db8::/32']);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x'])
      expect(() => loadConfig(apiSpec, { ...kafka, API_TRUSTED_PROXIES: bad })).toThrow(
        /API_TRUSTED_PROXIES/,
      );
    // Every address a proxy ('trust all'): any client would name itself in X-Forwarded-For and walk past the
    // per-address limits (failed sign-ins, authentications, reports).
    for (const everyone of ['0.0.0.0/0', '::/0', '10.0.0.0/8,0.0.0.0/0', '::ffff:0.0.0.0/96'])
      expect(() => loadConfig(apiSpec, { ...kafka, API_TRUSTED_PROXIES: everyone }), everyone).toThrow(
        /API_TRUSTED_PROXIES must not trust every address/,
      );
  });
});
