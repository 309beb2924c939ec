import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';

const api = useCallersWorld({ admin: ['ops-self', 'admin'], colleague: ['ops-other', 'admin'] });
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});

describe('an admin switching off its own tenant', () => {
  it('is refused (409 MOD_ERR_API_NOT_YOURSELF): every admin of the tenant would be locked out with it', async () => {
    // Before: 200, and at once neither this key nor any other credential or person of the tenant authenticated
    // (the operator's whole admin staff when it is the one admin tenant), with no API way back in.
    const off = await call(api.keys.admin, 'PATCH', '/v1/admin/tenants/ops-self', { disabled: true });
    expect(off.status, off.bytes.toString()).toBe(409);
    expect(off.code).toBe('MOD_ERR_API_NOT_YOURSELF');
    expect((await call(api.keys.admin, 'GET', '/v1/me')).status).toBe(200);
    const { rows } = await api.db.query<{ disabled_at: Date | null }>(
      `select disabled_at from tenants where id = 'ops-self'`,
    );
    expect(rows).toEqual([{ disabled_at: null }]);
    const audit = await listAudit(api.db, { limit: 10_000 });
    expect(audit.filter((a) => a.action === 'tenant.changed')).toEqual([]);
  });

  it('still renames its own tenant, and another admin tenant switches it off and on', async () => {
    const renamed = await call(api.keys.admin, 'PATCH', '/v1/admin/tenants/ops-self', { name: 'Vận hành' });
    expect(renamed.status, renamed.bytes.toString()).toBe(200);
    const off = await call(api.keys.colleague, 'PATCH', '/v1/admin/tenants/ops-self', { disabled: true });
    expect(off.status, off.bytes.toString()).toBe(200);
    expect((await call(api.keys.admin, 'GET', '/v1/me')).status).toBe(401);
    const on = await call(api.keys.colleague, 'PATCH', '/v1/admin/tenants/ops-self', { disabled: false });
    expect(on.status, on.bytes.toString()).toBe(200);
    expect((await call(api.keys.admin, 'GET', '/v1/me')).status).toBe(200);
  });
});
