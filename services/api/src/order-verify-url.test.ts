import { beforeAll, describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';

const api = useCallersWorld(
  { authority: ['auth-verify-url', 'authority'] },
  { tenants: { 'platform-verify-url': 'platform' } },
);
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});

/** A takedown order by hand whose re-fetch URL is `verifyUrl`. */
const issue = (verifyUrl: string) =>
  call(api.keys.authority, 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: 'platform-verify-url',
    subject: { type: 'url', value: 'https://platform-verify-url.example/p/1' },
    legalBasisId: 'vn-decree-147-request',
    verifyUrl,
  });

describe('the URL a takedown order is verified at', () => {
  // Before: anything starting with http(s):// was kept as the order's verifyUrl and sent to the platform as the
  // takedown request's `url` (its topic and webhook): a URL whose user part reads as another site (the rule the
  // order's own url subject follows), bidi overrides and C1 controls that make it read other than it is, or no
  // URL at all, which the verifier could never fetch, so the order, once actioned, was never verified.
  it.each([
    ['credentials that read as another site', 'https://www.bank.example@platform-verify-url.example/p/1'],
    ['a bidi override', 'https://platform-verify-url.example/p/\u202egpj.1'],
    ['a C1 control (a terminal CSI)', 'https://platform-verify-url.example/p/\u009b31m1'],
    ['no host at all', 'https://'],
    ['a broken IPv6 host', 'https://[::1/p/1'],
    ['a space in the host', 'https://platform verify-url.example/p/1'],
  ])('refuses one with %s: 400, and no order', async (_what, verifyUrl) => {
    const res = await issue(verifyUrl);
    expect(res.status, res.bytes.toString()).toBe(400);
    expect(res.code).toBe('MOD_ERR_API_VALIDATION');
    const { rows } = await api.db.query(
      `select 1 from orders where target_tenant_id = 'platform-verify-url'`,
    );
    expect(rows).toEqual([]);
  });

  it('takes an http(s) URL of its own (the page the content was on)', async () => {
    const res = await issue('https://platform-verify-url.example/page?id=1');
    expect(res.status, res.bytes.toString()).toBe(201);
    expect(res.json()).toMatchObject({ verifyUrl: 'https://platform-verify-url.example/page?id=1' });
  });
});
