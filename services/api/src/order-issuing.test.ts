import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { useCallersWorld } from './callers-world.test-helper.js';

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

  it('takes only those targets: a disabled ISP is refused (400) as an unknown one, and nothing is issued', async () => {
    for (const target of ['isp-2', 'isp-unknown']) {
      const res = await api.call(api.keys.authority, 'POST', '/v1/orders', {
        kind: 'blocking',
        targetTenantId: target,
        subject: { type: 'host', value: 'abuse-disabled.example' },
        legalBasisId: 'vn-decree-147-request',
      });
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code], target).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
    }
    const issued = await api.db.query(`select 1 from orders where target_tenant_id = 'isp-2'`);
    expect(issued.rowCount).toBe(0);
  });

  it('is for those who issue orders', async () => {
    expect((await api.call(api.keys.curator, 'GET', '/v1/orders/targets')).statusCode).toBe(403);
    expect((await api.call(api.keys.curator, 'GET', '/v1/orders/legal-bases')).statusCode).toBe(403);
  });
});

describe('the subject of an order issued by hand', () => {
  const issue = (kind: 'takedown' | 'blocking', type: 'url' | 'host', value: string) =>
    api.call(api.keys.authority, 'POST', '/v1/orders', {
      kind,
      targetTenantId: kind === 'takedown' ? 'platform-1' : 'isp-1',
      subject: { type, value },
      legalBasisId: 'vn-decree-147-request',
    });

  it('is refused (400) when it is not what its type says, and nothing is issued', async () => {
    const before = await api.db.query('select count(*)::int as n from orders');
    for (const [kind, type, value] of [
      ['takedown', 'url', 'not a url'],
      ['takedown', 'url', 'javascript:alert(1)'],
      ['takedown', 'url', 'file:///etc/passwd'],
      ['takedown', 'url', 'bad.example/page'],
      ['blocking', 'url', 'ftp://bad.example/x'],
      // Credentials: the feeds block the URL without them, so the order would read as another site (or carry a
      // password to the target).
      ['takedown', 'url', 'https://user:secret@bad.example/x'],
      ['blocking', 'url', 'https://www.bank.example@bad.example/login'],
      ['blocking', 'host', 'not a host'],
      ['blocking', 'host', 'bad.example;$INCLUDE /etc/passwd'],
      ['blocking', 'host', 'bad.example\n*.other.example CNAME .'],
      ['blocking', 'host', 'https://bad.example/page'],
      ['blocking', 'host', 'bad.example/page'],
      ['blocking', 'host', 'a\\b.example'],
      ['blocking', 'host', 'user@bad.example'],
      ['blocking', 'host', 'bad.example:8080'],
      ['blocking', 'host', 'bad.example?x=1'],
      // Public suffixes: a block of one would block every name under it.
      ['blocking', 'host', 'vn'],
      ['blocking', 'host', 'com.vn'],
      ['blocking', 'host', 'COM.'],
      // Suffixes of the Public Suffix List's private section: every customer's site is a name under them.
      ['blocking', 'host', 'github.io'],
      ['blocking', 'host', 'BlogSpot.com.'],
      ['blocking', 'host', 's3.amazonaws.com'],
      // Not DNS names: a wildcard (an ISP reading it as one would block every .com name), zone-file syntax, a
      // label DNS cannot carry. The RPZ could not list them, so the order would block nothing there.
      ['blocking', 'host', '*.com'],
      ['blocking', 'host', '*.com.vn'],
      ['blocking', 'host', 'bad.example;$INCLUDE'],
      ['blocking', 'host', '$ORIGIN.bad.example'],
      ['blocking', 'host', 'a"b.example'],
      ['blocking', 'host', `${'a'.repeat(64)}.example`],
    ] as const) {
      const res = await issue(kind, type, value);
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code], value).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
    }
    expect((await api.db.query('select count(*)::int as n from orders')).rows).toEqual(before.rows);
  });

  it('is, for a host, the name it blocks: every spelling of one name is one order, shown as that name', async () => {
    const name = `abuse-${Date.now().toString(36)}.example`;
    const first = await issue('blocking', 'host', name);
    expect(first.json()).toMatchObject({ folded: false, subject: { type: 'host', value: name } });
    // Case, a trailing dot, full-width letters, a percent-escape, a soft hyphen: the RPZ blocks the same name.
    const fullWidth = [...name].map((c) =>
      /[a-z]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c,
    );
    for (const spelling of [
      `${name.toUpperCase()}.`,
      fullWidth.join(''),
      name.replace('.', '%2e'),
      `a\u00ad${name.slice(1)}`,
    ]) {
      const res = await issue('blocking', 'host', spelling);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json(), spelling).toMatchObject({ folded: true, subject: { type: 'host', value: name } });
    }
    // An IP address in another notation is the address it names.
    const ip = await issue('blocking', 'host', '0xcb.0.113.9');
    expect(ip.json()).toMatchObject({ subject: { type: 'host', value: '203.0.113.9' } });
  });

  it('is taken as given when it is one: a URL, a host name or an IP address', async () => {
    for (const [kind, type, value] of [
      ['takedown', 'url', 'https://platform-1.example/photo/1'],
      ['blocking', 'url', 'http://abuse.example/gallery/1.html'],
      ['blocking', 'host', 'abuse-only.example'],
      ['blocking', 'host', 'abuse-two.example'],
      ['blocking', 'host', '203.0.113.7'],
      ['blocking', 'host', 'abuse.com.vn'],
      ['blocking', 'host', '[2001:db8::7]'],
      ['blocking', 'host', '_abuse.example'],
      ['blocking', 'host', `${'a'.repeat(63)}.example`],
    ] as const) {
      const res = await issue(kind, type, value);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ subject: { type, value } });
    }
  });
});
