import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiKey, upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { inOwnWorld, useCallersWorld } from './callers-world.test-helper.js';
import { bearer, errorCodeOf, multipartBody } from './testing.test-helper.js';

/**
 * What every request meets whatever its route: input checks (unknown fields, sizes, JSON, content types),
 * answers (security headers, no internals, routes declared), abuse limits (rate, failed authentication, time).
 */

const api = useCallersWorld(
  { 'isp-a': ['isp-a', 'isp'], 'plat-a': ['plat-a', 'platform'], admin: ['admin-1', 'admin'] },
  { build: { maxBodyBytes: 4096 } },
);

describe('input', () => {
  it('rejects unknown fields in bodies and query strings with MOD_ERR_API_UNKNOWN_FIELD', async () => {
    const body = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants', {
      id: 'x-1',
      kind: 'isp',
      name: 'X',
      isAdmin: true,
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toEqual({
      error: { code: 'MOD_ERR_API_UNKNOWN_FIELD', message: 'unknown field in body: isAdmin' },
    });
    const query = await api.app.inject({
      url: '/v1/orders?tenant=isp-b',
      headers: bearer(api.keys['isp-a']),
    });
    expect(query.statusCode).toBe(400);
    expect(errorCodeOf(query)).toBe('MOD_ERR_API_UNKNOWN_FIELD');
    const patch = await api.call(
      api.keys['admin'],
      'PATCH',
      '/v1/admin/keys/00000000-0000-4000-8000-000000000000',
      { role: 'isp', tenantId: 'isp-b' },
    );
    expect(errorCodeOf(patch)).toBe('MOD_ERR_API_UNKNOWN_FIELD');
    // A route that takes no body refuses one with fields rather than ignoring them.
    const key = await createApiKey(api.db, { tenantId: 'isp-a', role: 'isp' });
    const bodied = await api.call(api.keys['isp-a'], 'POST', `/v1/keys/${key.id}/revoke`, {
      tenantId: 'isp-b',
    });
    expect([bodied.statusCode, errorCodeOf(bodied)]).toEqual([400, 'MOD_ERR_API_UNKNOWN_FIELD']);
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(200);
  });

  it('rejects oversized bodies with 413 MOD_ERR_API_TOO_LARGE (JSON, multipart file, multipart field)', async () => {
    const json = await api.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: { ...bearer(api.keys['admin']), 'content-type': 'application/json' },
      payload: JSON.stringify({ id: 'big-1', kind: 'isp', name: 'n'.repeat(5000) }),
    });
    expect(json.statusCode).toBe(413);
    expect(errorCodeOf(json)).toBe('MOD_ERR_API_TOO_LARGE');
    const upload = multipartBody(Buffer.alloc(65 * 1024, 1));
    const file = await api.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...bearer(api.keys['plat-a']), 'content-type': upload.contentType },
      payload: upload.payload,
    });
    expect(file.statusCode).toBe(413);
    expect(errorCodeOf(file)).toBe('MOD_ERR_API_TOO_LARGE');
  });

  it('answers a malformed multipart upload with 400 MOD_ERR_API_NOT_MULTIPART, never 500, storing nothing', async () => {
    const part = 'Content-Disposition: form-data; name="media"; filename="a.jpg"\r\nContent-Type: image/jpeg';
    for (const [contentType, payload] of [
      // No boundary; a body that is no part at all; a file cut off before its closing boundary.
      ['multipart/form-data', 'media'],
      ['multipart/form-data; boundary=b0', 'no parts here'],
      ['multipart/form-data; boundary=b0', `--b0\r\n${part}\r\n\r\nabc`],
    ]) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/media',
        headers: { ...bearer(api.keys['plat-a']), 'content-type': contentType },
        payload,
      });
      expect([res.statusCode, errorCodeOf(res)], payload).toEqual([400, 'MOD_ERR_API_NOT_MULTIPART']);
    }
    const stored = await api.db.query(`select 1 from submissions where tenant_id = 'plat-a'`);
    expect(stored.rowCount).toBe(0);
  });

  it('answers bad JSON, wrong content types and unknown routes with stable codes', async () => {
    const admin = bearer(api.keys['admin']);
    /** A raw body of `contentType` posted to a route that takes JSON. */
    const postTenant = (contentType: string, payload: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/admin/tenants',
        headers: { ...admin, 'content-type': contentType },
        payload,
      });
    const badJson = await postTenant('application/json', '{"id": ');
    expect([badJson.statusCode, errorCodeOf(badJson)]).toEqual([400, 'MOD_ERR_API_BAD_JSON']);
    const xml = await postTenant('application/xml', '<tenant/>');
    expect([xml.statusCode, errorCodeOf(xml)]).toEqual([415, 'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE']);
    const proto = await postTenant(
      'application/json',
      '{"id":"p-1","kind":"isp","name":"P","__proto__":{"x":1}}',
    );
    expect(proto.statusCode).toBe(400);
    const none = await api.app.inject({ url: '/v1/nothing-here', headers: admin });
    expect([none.statusCode, errorCodeOf(none)]).toEqual([404, 'MOD_ERR_API_NO_ROUTE']);
    const bad = await api.app.inject({ url: '/v1/orders/not-a-uuid', headers: bearer(api.keys['isp-a']) });
    expect([bad.statusCode, errorCodeOf(bad)]).toEqual([400, 'MOD_ERR_API_VALIDATION']);
  });
});

describe('answers', () => {
  it('carry security headers, on success and on error', async () => {
    for (const res of [
      await api.app.inject({ url: '/v1/me', headers: bearer(api.keys['isp-a']) }),
      await api.app.inject({ url: '/v1/me' }),
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

  it('answer a path the router cannot read with a typed error and the headers, never echoing the path', async () => {
    const marker = 'zq9marker';
    for (const url of [
      // A broken percent-escape in a path parameter (FST_ERR_BAD_URL), and a parameter over the router's length.
      `/v1/orders/%E0%A4%A-${marker}`,
      `/v1/orders/${marker}${'a'.repeat(120)}`,
    ]) {
      const res = await api.app.inject({ url, headers: bearer(api.keys['isp-a']) });
      expect([res.statusCode, errorCodeOf(res)], res.body).toEqual([400, 'MOD_ERR_API_BAD_REQUEST']);
      expect(res.body).not.toContain(marker);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
    }
  });

  it('never carry a stack trace or SQL: a database failure answers 500 with a generic message', async () => {
    await inOwnWorld(async (own) => {
      const broken = await own.build();
      broken.get('/v1/test/broken', { config: { roles: ['admin'] } }, async () =>
        own.db.pool.query(`select secret_column from no_such_table where x = 'injected'`),
      );
      await upsertTenant(own.db.pool, { id: 'adm', kind: 'admin', name: 'A', subscribedToBlocking: false });
      const key = (await createApiKey(own.db.pool, { tenantId: 'adm', role: 'admin' })).key;
      const res = await broken.inject({ url: '/v1/test/broken', headers: bearer(key) });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'MOD_ERR_API_INTERNAL', message: 'internal error' } });
      expect(res.body).not.toMatch(/no_such_table|select|relation|at .*\.js/i);
    });
  });

  it('refuse routes that declare neither roles nor public, at start-up', async () => {
    await inOwnWorld(async (own) => {
      const a = await own.build();
      expect(() => a.get('/v1/test/undeclared', async () => 'open')).toThrow(/declares neither/);
    });
  });
});

describe('abuse limits', () => {
  it('rate-limits per key with 429 and retry-after; other keys are unaffected', async () => {
    await inOwnWorld(async (own) => {
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
        codes.push((await limited.inject({ url: '/v1/me', headers: bearer(k1) })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const refused = await limited.inject({ url: '/v1/me', headers: bearer(k1) });
      expect(errorCodeOf(refused)).toBe('MOD_ERR_API_RATE_LIMITED');
      expect(refused.headers['retry-after']).toBe('1');
      expect((await limited.inject({ url: '/v1/me', headers: bearer(k2) })).statusCode).toBe(200);
      nowMs += 1000;
      expect((await limited.inject({ url: '/v1/me', headers: bearer(k1) })).statusCode).toBe(200);
    });
  });

  it('stops guessing: past the failure limit an address gets 429, and failures are no longer audited', async () => {
    await inOwnWorld(async (own) => {
      const guarded = await own.build({
        authFailureLimit: { ratePerSecond: 0.001, burst: 3 },
        now: () => new Date('2026-01-01T00:00:00Z'),
      });
      const codes = [];
      for (let i = 0; i < 5; i++) {
        const guess = `mod_${randomBytes(9).toString('base64url')}_${randomBytes(24).toString('base64url')}`;
        codes.push((await guarded.inject({ url: '/v1/me', headers: bearer(guess) })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const audit = await listAudit(own.db.pool, { limit: 10_000 });
      expect(audit.filter((a) => a.action === 'auth.failed')).toHaveLength(3);
    });
  });

  it('answers a request that outlives its deadline with 503 MOD_ERR_API_TIMEOUT', async () => {
    await inOwnWorld(async (own) => {
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
      expect(errorCodeOf(res)).toBe('MOD_ERR_API_TIMEOUT');
    });
  });

  it('closes the connection of a body trickling in past its deadline (slowloris), not only answering 503', async () => {
    await inOwnWorld(async (own) => {
      const app = await own.build({ requestTimeoutMs: 300 });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const socket = connect((app.server.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      const closed = new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 3_000).unref();
      });
      // The public form, its whole size announced, one byte every 100 ms: each byte keeps the socket active.
      socket.write(
        'POST /report HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 30000\r\n\r\n',
      );
      const trickle = setInterval(() => socket.writable && socket.write('a'), 100);
      const wasClosed = await closed;
      clearInterval(trickle);
      socket.destroy();
      await app.close();
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toContain('MOD_ERR_API_TIMEOUT');
      expect(wasClosed).toBe(true);
      expect(answer.toLowerCase()).toContain('connection: close');
    });
  });
});
