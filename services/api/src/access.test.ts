import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, insertSubmission, listAudit, openOrder, upsertTenant } from '@mod/db';
import { createApiTestWorld, multipartBody, type ApiTestWorld } from './testing.js';

let world: ApiTestWorld;
let app: FastifyInstance;
const keys: Record<string, string> = {};
let orderOfA: string;
let orderOfB: string;

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const errorCode = (body: string) => (JSON.parse(body) as { error?: { code?: string } }).error?.code;

beforeAll(async () => {
  world = await createApiTestWorld();
  app = await world.build({ maxBodyBytes: 4096 });
  const db = world.db.pool;
  for (const [id, kind] of [
    ['isp-a', 'isp'],
    ['isp-b', 'isp'],
    ['plat-a', 'platform'],
    ['admin-1', 'admin'],
  ] as const) {
    await upsertTenant(db, { id, kind, name: id, subscribedToBlocking: false });
  }
  keys['isp-a'] = (await createApiKey(db, { tenantId: 'isp-a', role: 'isp' })).key;
  keys['isp-b'] = (await createApiKey(db, { tenantId: 'isp-b', role: 'isp' })).key;
  keys['plat-a'] = (await createApiKey(db, { tenantId: 'plat-a', role: 'platform' })).key;
  keys['admin'] = (await createApiKey(db, { tenantId: 'admin-1', role: 'admin' })).key;
  const order = (target: string) =>
    openOrder(db, {
      kind: 'blocking',
      subjectType: 'content-hash',
      subjectValue: randomBytes(32).toString('hex'),
      targetTenantId: target,
      legalBasis: 'test',
      issuer: { kind: 'policy', id: 'test' },
      deadlineAt: new Date(Date.now() + 86_400_000),
      evidence: {},
      policyVersion: 't',
      submissionId: null,
      actor: 'test',
    });
  orderOfA = (await order('isp-a')).id;
  orderOfB = (await order('isp-b')).id;
});
afterAll(async () => world?.close());

describe('keys', () => {
  it('refuses revoked and expired keys with 401 and audits each failure with its reason', async () => {
    const db = world.db.pool;
    const revoked = await createApiKey(db, { tenantId: 'isp-a', role: 'isp' });
    const ok = await app.inject({ url: '/v1/me', headers: auth(revoked.key) });
    expect(ok.statusCode).toBe(200);
    const revoke = await app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${revoked.id}/revoke`,
      headers: auth(keys['admin']!),
    });
    expect(revoke.statusCode).toBe(200);
    expect(revoke.json<{ revokedAt: string | null }>().revokedAt).not.toBeNull();
    const expired = await createApiKey(db, {
      tenantId: 'isp-a',
      role: 'isp',
      expiresAt: new Date(Date.now() - 1000),
    });
    for (const [key, reason] of [
      [revoked.key, 'revoked'],
      [expired.key, 'expired'],
      [`mod_${'x'.repeat(12)}_${'y'.repeat(31)}`, 'unknown'],
      ['not-a-key', 'malformed'],
    ] as const) {
      const res = await app.inject({ url: '/v1/orders', headers: auth(key) });
      expect(res.statusCode).toBe(401);
      expect(errorCode(res.body)).toBe('MOD_ERR_API_UNAUTHENTICATED');
      const audit = await listAudit(db, { limit: 10_000 });
      expect(audit.at(-1)).toMatchObject({ action: 'auth.failed', reason });
    }
    const anonymous = await app.inject({ url: '/v1/orders' });
    expect(anonymous.statusCode).toBe(401);
    expect((await listAudit(db, { limit: 10_000 })).at(-1)).toMatchObject({
      action: 'auth.failed',
      reason: 'missing',
    });
  });

  it("answers another tenant's order with the same 404 as a missing one (existence is not leaked)", async () => {
    const mine = await app.inject({ url: `/v1/orders/${orderOfA}`, headers: auth(keys['isp-a']!) });
    expect(mine.statusCode).toBe(200);
    const theirs = await app.inject({ url: `/v1/orders/${orderOfB}`, headers: auth(keys['isp-a']!) });
    const missing = await app.inject({ url: `/v1/orders/${randomUUID()}`, headers: auth(keys['isp-a']!) });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).toBe(missing.body);
    const list = await app.inject({ url: '/v1/orders', headers: auth(keys['isp-a']!) });
    expect(list.json<{ orders: { id: string }[] }>().orders.map((o) => o.id)).toEqual([orderOfA]);
    // Another platform's submission: 404 too.
    const sub = randomUUID();
    await insertSubmission(world.db.pool, { id: sub, tenantId: 'plat-other', source: 'api' });
    const res = await app.inject({ url: `/v1/submissions/${sub}`, headers: auth(keys['plat-a']!) });
    expect(res.statusCode).toBe(404);
  });

  it('lets a tenant revoke its own leaked key but not another tenant’s (404)', async () => {
    const db = world.db.pool;
    const leaked = await createApiKey(db, { tenantId: 'isp-a', role: 'isp' });
    const other = await createApiKey(db, { tenantId: 'isp-b', role: 'isp' });
    const cross = await app.inject({
      method: 'POST',
      url: `/v1/keys/${other.id}/revoke`,
      headers: auth(keys['isp-a']!),
    });
    expect(cross.statusCode).toBe(404);
    expect((await app.inject({ url: '/v1/me', headers: auth(other.key) })).statusCode).toBe(200);
    const own = await app.inject({
      method: 'POST',
      url: `/v1/keys/${leaked.id}/revoke`,
      headers: auth(keys['isp-a']!),
    });
    expect(own.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/me', headers: auth(leaked.key) })).statusCode).toBe(401);
    const audit = await listAudit(db, { subjectId: leaked.id });
    expect(audit.map((a) => a.action)).toEqual(['key.revoked']);
  });
});

describe('administration', () => {
  it('creates a tenant and a key shown once, changes its role, revokes it; every change audited', async () => {
    const db = world.db.pool;
    const admin = auth(keys['admin']!);
    const tenant = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: admin,
      payload: { id: 'hotline-9', kind: 'hotline', name: 'Hotline 9' },
    });
    expect(tenant.statusCode).toBe(201);
    expect(tenant.json()).toMatchObject({ id: 'hotline-9', kind: 'hotline', disabledAt: null });
    const again = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: admin,
      payload: { id: 'hotline-9', kind: 'isp', name: 'Overwrite attempt' },
    });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again.body)).toBe('MOD_ERR_API_CONFLICT');

    const created = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/hotline-9/keys',
      headers: admin,
      payload: { role: 'reviewer', label: 'desk 1' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json<{ id: string; key: string; prefix: string; role: string }>();
    expect(key.key).toMatch(/^mod_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{31,}$/);
    expect(key.key.startsWith(`mod_${key.prefix}_`)).toBe(true);
    // Shown once: no listing carries the secret, and the database holds only its digest.
    const listed = await app.inject({ url: '/v1/admin/tenants/hotline-9/keys', headers: admin });
    expect(listed.json<{ keys: { id: string }[] }>().keys.map((k) => k.id)).toEqual([key.id]);
    expect(listed.body).not.toContain(key.key.slice(17));
    const stored = await db.query(`select * from api_keys where id = $1`, [key.id]);
    expect(JSON.stringify(stored.rows)).not.toContain(key.key.slice(17));
    const me = await app.inject({ url: '/v1/me', headers: auth(key.key) });
    expect(me.json()).toMatchObject({ tenantId: 'hotline-9', role: 'reviewer', credential: 'api-key' });

    // A hotline key may not become an ISP's or an admin's.
    const escalate = await app.inject({
      method: 'PATCH',
      url: `/v1/admin/keys/${key.id}`,
      headers: admin,
      payload: { role: 'admin' },
    });
    expect(escalate.statusCode).toBe(400);
    expect(errorCode(escalate.body)).toBe('MOD_ERR_API_ROLE_NOT_FOR_TENANT');
    const changed = await app.inject({
      method: 'PATCH',
      url: `/v1/admin/keys/${key.id}`,
      headers: admin,
      payload: { role: 'curator' },
    });
    expect(changed.json()).toMatchObject({ id: key.id, role: 'curator' });
    expect((await app.inject({ url: '/v1/orders', headers: auth(key.key) })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/banks', headers: auth(key.key) })).statusCode).toBe(200);

    const revoked = await app.inject({
      method: 'POST',
      url: `/v1/admin/keys/${key.id}/revoke`,
      headers: admin,
    });
    expect(revoked.statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/me', headers: auth(key.key) })).statusCode).toBe(401);

    const audit = await listAudit(db, { limit: 10_000 });
    const about = (id: string) => audit.filter((a) => a.subject.id === id).map((a) => a.action);
    expect(about('hotline-9')).toEqual(['tenant.created']);
    expect(about(key.id)).toEqual(['key.created', 'key.role_changed', 'key.revoked']);
    const adminKeyId = (await db.query<{ id: string }>(`select id from api_keys where tenant_id = 'admin-1'`))
      .rows[0]?.id;
    expect(audit.filter((a) => a.subject.id === key.id).every((a) => a.actor.id === adminKeyId)).toBe(true);
    // The forbidden call above was audited as a denial.
    expect(audit.some((a) => a.action === 'auth.denied' && a.actor.id === key.id)).toBe(true);
  });

  it('switching a tenant off stops all its credentials', async () => {
    const admin = auth(keys['admin']!);
    const off = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/tenants/isp-b',
      headers: admin,
      payload: { disabled: true },
    });
    expect(off.json<{ disabledAt: string | null }>().disabledAt).not.toBeNull();
    expect((await app.inject({ url: '/v1/me', headers: auth(keys['isp-b']!) })).statusCode).toBe(401);
    await app.inject({
      method: 'PATCH',
      url: '/v1/admin/tenants/isp-b',
      headers: admin,
      payload: { disabled: false },
    });
    expect((await app.inject({ url: '/v1/me', headers: auth(keys['isp-b']!) })).statusCode).toBe(200);
  });

  it('refuses a key or certificate that would already be expired (MOD_ERR_API_EXPIRY_PAST), issuing nothing', async () => {
    const admin = auth(keys['admin']!);
    const db = world.db.pool;
    const before = (await db.query(`select id from api_keys where tenant_id = 'isp-a'`)).rowCount;
    const key = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-a/keys',
      headers: admin,
      payload: { role: 'isp', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(key.statusCode).toBe(400);
    expect(errorCode(key.body)).toBe('MOD_ERR_API_EXPIRY_PAST');
    expect((await db.query(`select id from api_keys where tenant_id = 'isp-a'`)).rowCount).toBe(before);
    const cert = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-a/certificates',
      headers: admin,
      payload: { fingerprintSha256: 'ab'.repeat(32), expiresAt: '2000-01-01T00:00:00Z' },
    });
    expect(cert.statusCode).toBe(400);
    expect(errorCode(cert.body)).toBe('MOD_ERR_API_EXPIRY_PAST');
    const later = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-a/keys',
      headers: admin,
      payload: { role: 'isp', expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(later.statusCode).toBe(201);
  });
});

describe('input', () => {
  it('rejects unknown fields in bodies and query strings with MOD_ERR_API_UNKNOWN_FIELD', async () => {
    const admin = auth(keys['admin']!);
    const body = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: admin,
      payload: { id: 'x-1', kind: 'isp', name: 'X', isAdmin: true },
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toEqual({
      error: { code: 'MOD_ERR_API_UNKNOWN_FIELD', message: 'unknown field in body: isAdmin' },
    });
    const query = await app.inject({ url: '/v1/orders?tenant=isp-b', headers: auth(keys['isp-a']!) });
    expect(query.statusCode).toBe(400);
    expect(errorCode(query.body)).toBe('MOD_ERR_API_UNKNOWN_FIELD');
    const patch = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/keys/00000000-0000-4000-8000-000000000000',
      headers: admin,
      payload: { role: 'isp', tenantId: 'isp-b' },
    });
    expect(errorCode(patch.body)).toBe('MOD_ERR_API_UNKNOWN_FIELD');
    // A route that takes no body refuses one with fields rather than ignoring them.
    const key = await createApiKey(world.db.pool, { tenantId: 'isp-a', role: 'isp' });
    const bodied = await app.inject({
      method: 'POST',
      url: `/v1/keys/${key.id}/revoke`,
      headers: auth(keys['isp-a']!),
      payload: { tenantId: 'isp-b' },
    });
    expect([bodied.statusCode, errorCode(bodied.body)]).toEqual([400, 'MOD_ERR_API_UNKNOWN_FIELD']);
    expect((await app.inject({ url: '/v1/me', headers: auth(key.key) })).statusCode).toBe(200);
  });

  it('rejects oversized bodies with 413 MOD_ERR_API_TOO_LARGE (JSON, multipart file, multipart field)', async () => {
    const json = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...auth(keys['admin']!), 'content-type': 'application/json' },
      payload: JSON.stringify({ id: 'big-1', kind: 'isp', name: 'n'.repeat(5000) }),
    });
    expect(json.statusCode).toBe(413);
    expect(errorCode(json.body)).toBe('MOD_ERR_API_TOO_LARGE');
    const upload = multipartBody(Buffer.alloc(65 * 1024, 1));
    const file = await app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...auth(keys['plat-a']!), 'content-type': upload.contentType },
      payload: upload.payload,
    });
    expect(file.statusCode).toBe(413);
    expect(errorCode(file.body)).toBe('MOD_ERR_API_TOO_LARGE');
  });

  it('answers bad JSON, wrong content types and unknown routes with stable codes', async () => {
    const admin = auth(keys['admin']!);
    const badJson = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect([badJson.statusCode, errorCode(badJson.body)]).toEqual([400, 'MOD_ERR_API_BAD_JSON']);
    const xml = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...admin, 'content-type': 'application/xml' },
      payload: '<tenant/>',
    });
    expect([xml.statusCode, errorCode(xml.body)]).toEqual([415, 'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE']);
    const proto = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"id":"p-1","kind":"isp","name":"P","__proto__":{"x":1}}',
    });
    expect(proto.statusCode).toBe(400);
    const none = await app.inject({ url: '/v1/nothing-here', headers: admin });
    expect([none.statusCode, errorCode(none.body)]).toEqual([404, 'MOD_ERR_API_NO_ROUTE']);
    const bad = await app.inject({ url: '/v1/orders/not-a-uuid', headers: auth(keys['isp-a']!) });
    expect([bad.statusCode, errorCode(bad.body)]).toEqual([400, 'MOD_ERR_API_VALIDATION']);
  });
});

describe('answers', () => {
  it('carry security headers, on success and on error', async () => {
    for (const res of [
      await app.inject({ url: '/v1/me', headers: auth(keys['isp-a']!) }),
      await app.inject({ url: '/v1/me' }),
    ]) {
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
      });
    }
  });

  it('never carry a stack trace or SQL: a database failure answers 500 with a generic message', async () => {
    const own = await createApiTestWorld();
    try {
      const broken = await own.build();
      broken.get('/v1/test/broken', { config: { roles: ['admin'] } }, async () =>
        own.db.pool.query(`select secret_column from no_such_table where x = 'injected'`),
      );
      await upsertTenant(own.db.pool, { id: 'adm', kind: 'admin', name: 'A', subscribedToBlocking: false });
      const key = (await createApiKey(own.db.pool, { tenantId: 'adm', role: 'admin' })).key;
      const res = await broken.inject({ url: '/v1/test/broken', headers: auth(key) });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'MOD_ERR_API_INTERNAL', message: 'internal error' } });
      expect(res.body).not.toMatch(/no_such_table|select|relation|at .*\.js/i);
    } finally {
      await own.close();
    }
  });

  it('refuse routes that declare neither roles nor public, at start-up', async () => {
    const own = await createApiTestWorld();
    try {
      const a = await own.build();
      expect(() => a.get('/v1/test/undeclared', async () => 'open')).toThrow(/declares neither/);
    } finally {
      await own.close();
    }
  });
});

describe('abuse limits', () => {
  it('rate-limits per key with 429 and retry-after; other keys are unaffected', async () => {
    const own = await createApiTestWorld();
    try {
      let nowMs = Date.parse('2026-01-01T00:00:00Z');
      const limited = await own.build({
        rateLimit: { ratePerSecond: 1, burst: 3 },
        now: () => new Date(nowMs),
      });
      const db = own.db.pool;
      await upsertTenant(db, { id: 'i', kind: 'isp', name: 'I', subscribedToBlocking: false });
      const k1 = (await createApiKey(db, { tenantId: 'i', role: 'isp' })).key;
      const k2 = (await createApiKey(db, { tenantId: 'i', role: 'isp' })).key;
      const codes = [];
      for (let i = 0; i < 4; i++)
        codes.push((await limited.inject({ url: '/v1/me', headers: auth(k1) })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const refused = await limited.inject({ url: '/v1/me', headers: auth(k1) });
      expect(errorCode(refused.body)).toBe('MOD_ERR_API_RATE_LIMITED');
      expect(refused.headers['retry-after']).toBe('1');
      expect((await limited.inject({ url: '/v1/me', headers: auth(k2) })).statusCode).toBe(200);
      nowMs += 1000;
      expect((await limited.inject({ url: '/v1/me', headers: auth(k1) })).statusCode).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('stops guessing: past the failure limit an address gets 429, and failures are no longer audited', async () => {
    const own = await createApiTestWorld();
    try {
      const guarded = await own.build({
        authFailureLimit: { ratePerSecond: 0.001, burst: 3 },
        now: () => new Date('2026-01-01T00:00:00Z'),
      });
      const codes = [];
      for (let i = 0; i < 5; i++) {
        const guess = `mod_${randomBytes(9).toString('base64url')}_${randomBytes(24).toString('base64url')}`;
        codes.push((await guarded.inject({ url: '/v1/me', headers: auth(guess) })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const audit = await listAudit(own.db.pool, { limit: 10_000 });
      expect(audit.filter((a) => a.action === 'auth.failed')).toHaveLength(3);
    } finally {
      await own.close();
    }
  });

  it('answers a request that outlives its deadline with 503 MOD_ERR_API_TIMEOUT', async () => {
    const own = await createApiTestWorld();
    try {
      const slow = await own.build({ requestTimeoutMs: 50 });
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      slow.get('/v1/test/slow', { config: { public: true } }, async () => {
        await held;
        return { late: true };
      });
      const res = await slow.inject({ url: '/v1/test/slow' });
      release();
      expect(res.statusCode).toBe(503);
      expect(errorCode(res.body)).toBe('MOD_ERR_API_TIMEOUT');
    } finally {
      await own.close();
    }
  });
});
