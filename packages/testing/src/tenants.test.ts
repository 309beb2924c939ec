import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTenant, verifyApiKey } from '@mod/db/access';
import { seedTenants, tenantWithKey } from './tenants.js';
import { createTestSchema, type TestDatabase } from './test-schema.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
});
afterAll(async () => db.drop());

describe('seedTenants', () => {
  it('subscribes ISPs to blocking by default, names tenants after their ids, and keys only those with a role', async () => {
    const keys = await seedTenants(db.pool, [
      { id: 'isp-1', kind: 'isp', role: 'isp' },
      { id: 'isp-off', kind: 'isp', name: 'ISP off', subscribedToBlocking: false },
      { id: 'platform-1', kind: 'platform', role: 'platform' },
    ]);
    expect(Object.keys(keys).sort()).toEqual(['isp-1', 'platform-1']);
    expect(await getTenant(db.pool, 'isp-1')).toMatchObject({ name: 'isp-1', subscribedToBlocking: true });
    expect(await getTenant(db.pool, 'isp-off')).toMatchObject({
      name: 'ISP off',
      subscribedToBlocking: false,
    });
    expect(await getTenant(db.pool, 'platform-1')).toMatchObject({ subscribedToBlocking: false });
    const check = await verifyApiKey(db.pool, keys['platform-1'] ?? '', new Date());
    expect(check).toMatchObject({ ok: true, principal: { tenantId: 'platform-1', role: 'platform' } });
  });
});

describe('tenantWithKey', () => {
  it("returns a working key of the tenant's role", async () => {
    const key = await tenantWithKey(db.pool, { id: 'hotline', kind: 'hotline', role: 'curator' });
    expect(await verifyApiKey(db.pool, key, new Date())).toMatchObject({
      ok: true,
      principal: { tenantId: 'hotline', tenantKind: 'hotline', role: 'curator' },
    });
  });
});
