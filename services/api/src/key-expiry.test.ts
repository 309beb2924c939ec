import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listApiKeys, upsertTenant } from '@mod/db/access';
import { createApiTestWorld, type ApiTestWorld } from './testing.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
let world: ApiTestWorld;
let app: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  world = await createApiTestWorld();
  app = await world.build({ now: () => NOW });
  const db = world.db.pool;
  await upsertTenant(db, { id: 'adm', kind: 'admin', name: 'Admin', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'isp-k', kind: 'isp', name: 'ISP', subscribedToBlocking: false });
  adminKey = (await createApiKey(db, { tenantId: 'adm', role: 'admin' })).key;
});
afterAll(async () => world?.close());

const post = (url: string, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${adminKey}` }, payload });

describe('credential expiry', () => {
  it('refuses to issue a key that has already expired (or expires right now)', async () => {
    for (const expiresAt of ['2026-03-01T11:59:59.000Z', NOW.toISOString(), '2001-01-01T00:00:00Z']) {
      const res = await post('/v1/admin/tenants/isp-k/keys', { role: 'isp', expiresAt });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { code: 'MOD_ERR_API_EXPIRY_PAST', message: 'expiresAt must be in the future' },
      });
    }
    expect(await listApiKeys(world.db.pool, 'isp-k', 100)).toEqual([]);
    const ok = await post('/v1/admin/tenants/isp-k/keys', {
      role: 'isp',
      expiresAt: '2026-03-01T12:00:01.000Z',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<{ expiresAt: string }>().expiresAt).toBe('2026-03-01T12:00:01.000Z');
  });

  it('refuses to register a client certificate that has already expired', async () => {
    const res = await post('/v1/admin/tenants/isp-k/certificates', {
      fingerprintSha256: randomBytes(32).toString('hex'),
      expiresAt: '2026-02-28T00:00:00Z',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_EXPIRY_PAST');
  });
});
