import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { insertSubmission } from '@mod/db/submissions';
import { useCallersWorld } from './callers-world.test-helper.js';
import { bearer, errorCodeOf, openTestOrder } from './testing.test-helper.js';

/** Credentials and administration: keys refused and revoked, tenants and keys made and changed, all audited. */
let orderOfA: string;
let orderOfB: string;

const api = useCallersWorld(
  {
    'isp-a': ['isp-a', 'isp'],
    'isp-b': ['isp-b', 'isp'],
    'plat-a': ['plat-a', 'platform'],
    admin: ['admin-1', 'admin'],
  },
  { build: { maxBodyBytes: 4096 } },
);

beforeAll(async () => {
  orderOfA = await openTestOrder(api.world, { kind: 'blocking', targetTenantId: 'isp-a' });
  orderOfB = await openTestOrder(api.world, { kind: 'blocking', targetTenantId: 'isp-b' });
});

describe('keys', () => {
  it('refuses revoked and expired keys with 401 and audits each failure with its reason', async () => {
    const db = api.db;
    const revoked = await createApiKey(db, { tenantId: 'isp-a', role: 'isp' });
    const ok = await api.app.inject({ url: '/v1/me', headers: bearer(revoked.key) });
    expect(ok.statusCode).toBe(200);
    const revoke = await api.call(api.keys['admin'], 'POST', `/v1/admin/keys/${revoked.id}/revoke`);
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
      const res = await api.app.inject({ url: '/v1/orders', headers: bearer(key) });
      expect(res.statusCode).toBe(401);
      expect(errorCodeOf(res)).toBe('MOD_ERR_API_UNAUTHENTICATED');
      const audit = await listAudit(db, { limit: 10_000 });
      expect(audit.at(-1)).toMatchObject({ action: 'auth.failed', reason });
    }
    const anonymous = await api.app.inject({ url: '/v1/orders' });
    expect(anonymous.statusCode).toBe(401);
    expect((await listAudit(db, { limit: 10_000 })).at(-1)).toMatchObject({
      action: 'auth.failed',
      reason: 'missing',
    });
  });

  it("answers another tenant's order with the same 404 as a missing one (existence is not leaked)", async () => {
    const mine = await api.app.inject({ url: `/v1/orders/${orderOfA}`, headers: bearer(api.keys['isp-a']) });
    expect(mine.statusCode).toBe(200);
    const theirs = await api.app.inject({
      url: `/v1/orders/${orderOfB}`,
      headers: bearer(api.keys['isp-a']),
    });
    const missing = await api.app.inject({
      url: `/v1/orders/${randomUUID()}`,
      headers: bearer(api.keys['isp-a']),
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).toBe(missing.body);
    const list = await api.app.inject({ url: '/v1/orders', headers: bearer(api.keys['isp-a']) });
    expect(list.json<{ orders: { id: string }[] }>().orders.map((o) => o.id)).toEqual([orderOfA]);
    // Another platform's submission: 404 too.
    const sub = randomUUID();
    await insertSubmission(api.db, { id: sub, tenantId: 'plat-other', source: 'api' });
    const res = await api.app.inject({ url: `/v1/submissions/${sub}`, headers: bearer(api.keys['plat-a']) });
    expect(res.statusCode).toBe(404);
  });

  it('lets a leaked key revoke itself, but not a sibling (403) nor another tenant’s key (404)', async () => {
    const db = api.db;
    const leaked = await createApiKey(db, { tenantId: 'isp-a', role: 'isp' });
    const other = await createApiKey(db, { tenantId: 'isp-b', role: 'isp' });
    const cross = await api.call(api.keys['isp-a'], 'POST', `/v1/keys/${other.id}/revoke`);
    expect(cross.statusCode).toBe(404);
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(other.key) })).statusCode).toBe(200);
    const sibling = await api.call(api.keys['isp-a'], 'POST', `/v1/keys/${leaked.id}/revoke`);
    expect([sibling.statusCode, errorCodeOf(sibling)]).toEqual([403, 'MOD_ERR_API_KEY_NOT_OWN']);
    const own = await api.call(leaked.key, 'POST', `/v1/keys/${leaked.id}/revoke`);
    expect(own.statusCode).toBe(200);
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(leaked.key) })).statusCode).toBe(401);
    const audit = await listAudit(db, { subjectId: leaked.id });
    expect(audit.map((a) => a.action)).toEqual(['key.revoke_refused', 'key.revoked']);
  });
});

describe('administration', () => {
  it('creates a tenant and a key shown once, changes its role, revokes it; every change audited', async () => {
    const db = api.db;
    const admin = bearer(api.keys['admin']);
    const tenant = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants', {
      id: 'hotline-9',
      kind: 'hotline',
      name: 'Hotline 9',
    });
    expect(tenant.statusCode).toBe(201);
    expect(tenant.json()).toMatchObject({ id: 'hotline-9', kind: 'hotline', disabledAt: null });
    const again = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants', {
      id: 'hotline-9',
      kind: 'isp',
      name: 'Overwrite attempt',
    });
    expect(again.statusCode).toBe(409);
    expect(errorCodeOf(again)).toBe('MOD_ERR_API_CONFLICT');

    const created = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants/hotline-9/keys', {
      role: 'reviewer',
      label: 'desk 1',
    });
    expect(created.statusCode).toBe(201);
    const key = created.json<{ id: string; key: string; prefix: string; role: string }>();
    expect(key.key).toMatch(/^mod_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{31,}$/);
    expect(key.key.startsWith(`mod_${key.prefix}_`)).toBe(true);
    // Shown once: no listing carries the secret, and the database holds only its digest.
    const listed = await api.app.inject({ url: '/v1/admin/tenants/hotline-9/keys', headers: admin });
    expect(listed.json<{ keys: { id: string }[] }>().keys.map((k) => k.id)).toEqual([key.id]);
    expect(listed.body).not.toContain(key.key.slice(17));
    const stored = await db.query(`select * from api_keys where id = $1`, [key.id]);
    expect(JSON.stringify(stored.rows)).not.toContain(key.key.slice(17));
    const me = await api.app.inject({ url: '/v1/me', headers: bearer(key.key) });
    expect(me.json()).toMatchObject({ tenantId: 'hotline-9', role: 'reviewer', credential: 'api-key' });

    // A hotline key may not become an ISP's or an admin's.
    const escalate = await api.call(api.keys['admin'], 'PATCH', `/v1/admin/keys/${key.id}`, {
      role: 'admin',
    });
    expect(escalate.statusCode).toBe(400);
    expect(errorCodeOf(escalate)).toBe('MOD_ERR_API_ROLE_NOT_FOR_TENANT');
    const changed = await api.call(api.keys['admin'], 'PATCH', `/v1/admin/keys/${key.id}`, {
      role: 'curator',
    });
    expect(changed.json()).toMatchObject({ id: key.id, role: 'curator' });
    expect((await api.app.inject({ url: '/v1/orders', headers: bearer(key.key) })).statusCode).toBe(403);
    expect((await api.app.inject({ url: '/v1/banks', headers: bearer(key.key) })).statusCode).toBe(200);

    const revoked = await api.call(api.keys['admin'], 'POST', `/v1/admin/keys/${key.id}/revoke`);
    expect(revoked.statusCode).toBe(200);
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(key.key) })).statusCode).toBe(401);

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
    const off = await api.call(api.keys['admin'], 'PATCH', '/v1/admin/tenants/isp-b', {
      disabled: true,
    });
    expect(off.json<{ disabledAt: string | null }>().disabledAt).not.toBeNull();
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(api.keys['isp-b']) })).statusCode).toBe(
      401,
    );
    await api.call(api.keys['admin'], 'PATCH', '/v1/admin/tenants/isp-b', { disabled: false });
    expect((await api.app.inject({ url: '/v1/me', headers: bearer(api.keys['isp-b']) })).statusCode).toBe(
      200,
    );
  });

  it('refuses a key or certificate that would already be expired (MOD_ERR_API_EXPIRY_PAST), issuing nothing', async () => {
    const db = api.db;
    const before = (await db.query(`select id from api_keys where tenant_id = 'isp-a'`)).rowCount;
    const key = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants/isp-a/keys', {
      role: 'isp',
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(key.statusCode).toBe(400);
    expect(errorCodeOf(key)).toBe('MOD_ERR_API_EXPIRY_PAST');
    expect((await db.query(`select id from api_keys where tenant_id = 'isp-a'`)).rowCount).toBe(before);
    const cert = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants/isp-a/certificates', {
      fingerprintSha256: 'ab'.repeat(32),
      expiresAt: '2000-01-01T00:00:00Z',
    });
    expect(cert.statusCode).toBe(400);
    expect(errorCodeOf(cert)).toBe('MOD_ERR_API_EXPIRY_PAST');
    const later = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants/isp-a/keys', {
      role: 'isp',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(later.statusCode).toBe(201);
  });

  it('a certificate is revoked once, by an admin only, with one audit record naming who revoked it', async () => {
    const registered = await api.call(api.keys['admin'], 'POST', '/v1/admin/tenants/isp-a/certificates', {
      fingerprintSha256: 'cd'.repeat(32),
    });
    expect(registered.statusCode).toBe(201);
    const { id } = registered.json<{ id: string }>();
    const url = `/v1/admin/certificates/${id}/revoke`;
    for (const caller of ['isp-a', 'plat-a'] as const)
      expect((await api.call(api.keys[caller], 'POST', url)).statusCode).toBe(403);
    const first = await api.call(api.keys['admin'], 'POST', url);
    expect(first.statusCode).toBe(200);
    const again = await api.call(api.keys['admin'], 'POST', url);
    expect(again.json<{ revokedAt: string }>().revokedAt).toBe(first.json<{ revokedAt: string }>().revokedAt);
    const audit = await listAudit(api.db, { subjectId: id });
    expect(audit.map((a) => [a.action, a.actor.kind])).toEqual([
      ['certificate.registered', 'user'],
      ['certificate.revoked', 'user'],
    ]);
  });
});
