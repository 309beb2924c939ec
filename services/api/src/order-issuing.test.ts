import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { useCallersWorld } from './callers-world.js';

const api = useCallersWorld(
  { authority: ['auth-1', 'authority'], curator: ['hotline-1', 'curator'] },
  { tenants: { 'platform-1': 'platform', 'isp-1': 'isp', 'isp-2': 'isp' } },
);

beforeAll(async () => {
  await upsertTenant(api.db, {
    id: 'platform-1',
    kind: 'platform',
    name: 'Nền tảng Một',
    subscribedToBlocking: false,
  });
  // A disabled ISP is no target.
  await api.db.query(`update tenants set disabled_at = now() where id = 'isp-2'`);
});

type Basis = {
  id: string;
  citation: { vi: string; en: string };
  authority: { vi: string };
  deadlineMinutes: number;
};

describe('what an authority picks from to issue an order', () => {
  it('lists the legal bases in both languages, each one the order route accepts', async () => {
    const res = await api.call(api.keys.authority, 'GET', '/v1/orders/legal-bases');
    expect(res.statusCode).toBe(200);
    const bases = res.json<{ legalBases: Basis[] }>().legalBases;
    expect(bases.map((b) => [b.id, b.deadlineMinutes])).toEqual([
      ['eu-tco', 60],
      ['vn-decree-147-request', 1440],
      ['vn-decree-147-complaint', 2880],
    ]);
    const decree = bases[1]!;
    expect(decree.citation.en).toMatch(/^Decree 147\/2024\/ND-CP/);
    expect(decree.citation.vi).toMatch(/^Nghị định 147\/2024\/NĐ-CP/);
    expect(decree.authority.vi).toBe('Bộ Thông tin và Truyền thông');
    for (const b of bases) {
      const issued = await api.call(api.keys.authority, 'POST', '/v1/orders', {
        kind: 'takedown',
        targetTenantId: 'platform-1',
        subject: { type: 'url', value: `https://platform-1.example/${b.id}` },
        legalBasisId: b.id,
      });
      expect(issued.statusCode, issued.body).toBe(201);
      expect(issued.json()).toMatchObject({ legalBasis: b.citation.en });
    }
  });

  it('lists the platforms and ISPs an order may address, names only, not disabled ones', async () => {
    const res = await api.call(api.keys.authority, 'GET', '/v1/orders/targets');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      targets: [
        { id: 'isp-1', name: 'isp-1', kind: 'isp' },
        { id: 'platform-1', name: 'Nền tảng Một', kind: 'platform' },
      ],
    });
  });

  it('is for those who issue orders', async () => {
    expect((await api.call(api.keys.curator, 'GET', '/v1/orders/targets')).statusCode).toBe(403);
    expect((await api.call(api.keys.curator, 'GET', '/v1/orders/legal-bases')).statusCode).toBe(403);
  });
});
