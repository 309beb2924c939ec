import { describe, expect, it } from 'vitest';
import { auditEvidence, listAudit } from '@mod/db/audit';
import { useCallersWorld } from './callers-world.test-helper.js';

const api = useCallersWorld(
  { admin: ['ops', 'admin'], isp: ['isp-1', 'isp'] },
  { tenants: { 'platform-1': 'platform' } },
);

const url = (tenant: string) => `/v1/admin/tenants/${tenant}/feed-settings`;

describe("an ISP's feed settings (admins)", () => {
  it('reads the defaults, changes them (audited with before and after), and the ISP’s RPZ follows', async () => {
    const before = await api.call(api.keys.admin, 'GET', url('isp-1'));
    expect(before.json()).toEqual({ zoneName: 'rpz.mod.local', walledGardenHost: null });
    const put = await api.call(api.keys.admin, 'PUT', url('isp-1'), {
      zoneName: 'RPZ.ISP-1.vn.',
      walledGardenHost: 'Blocked.Example.vn',
    });
    expect(put.statusCode, put.body).toBe(200);
    // As the RPZ writer uses them: lower case, no trailing dot.
    expect(put.json()).toEqual({ zoneName: 'rpz.isp-1.vn', walledGardenHost: 'blocked.example.vn' });
    expect((await api.call(api.keys.admin, 'GET', url('isp-1'))).json()).toEqual(put.json());
    const audit = await listAudit(api.db, { subjectId: 'isp-1' });
    expect(audit.map((a) => a.action)).toContain('isp.feed_settings_changed');
    const changed = audit.find((a) => a.action === 'isp.feed_settings_changed')!;
    const documents = (await auditEvidence(api.db, changed.seq)) ?? [];
    expect(
      Object.fromEntries(documents.map((d) => [d.name, JSON.parse(d.document) as unknown])),
    ).toMatchObject({
      before: { zoneName: 'rpz.mod.local', walledGardenHost: null },
      after: { zoneName: 'rpz.isp-1.vn', walledGardenHost: 'blocked.example.vn' },
    });
    const feed = await api.call(api.keys.isp, 'GET', '/v1/isp/feeds/rpz');
    expect(feed.statusCode).toBe(200);
    expect(feed.body).toContain('rpz.isp-1.vn');
    // Back to NXDOMAIN.
    const nx = await api.call(api.keys.admin, 'PUT', url('isp-1'), {
      zoneName: 'rpz.isp-1.vn',
      walledGardenHost: null,
    });
    expect(nx.json()).toEqual({ zoneName: 'rpz.isp-1.vn', walledGardenHost: null });
  });

  it('refuses names that are no DNS names, tenants that are no ISPs, and callers that are no admins', async () => {
    const bad = await api.call(api.keys.admin, 'PUT', url('isp-1'), {
      zoneName: 'rpz..isp',
      walledGardenHost: null,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });
    // A policy name as the walled garden (`CNAME rpz-passthru.` blocks nothing).
    const passthru = await api.call(api.keys.admin, 'PUT', url('isp-1'), {
      zoneName: 'rpz.isp-1.vn',
      walledGardenHost: 'rpz-passthru',
    });
    expect(passthru.statusCode).toBe(400);
    expect(passthru.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });
    expect((await api.call(api.keys.admin, 'GET', url('platform-1'))).statusCode).toBe(404);
    expect((await api.call(api.keys.admin, 'GET', url('nobody'))).statusCode).toBe(404);
    expect((await api.call(api.keys.isp, 'GET', url('isp-1'))).statusCode).toBe(403);
  });
});
