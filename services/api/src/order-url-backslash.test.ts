import { beforeAll, describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';

const api = useCallersWorld(
  { authority: ['auth-backslash', 'authority'] },
  { tenants: { 'isp-backslash': 'isp', 'platform-backslash': 'platform' } },
);
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});

const order = (kind: 'blocking' | 'takedown', value: string, verifyUrl?: string) =>
  call(api.keys.authority, 'POST', '/v1/orders', {
    kind,
    targetTenantId: kind === 'blocking' ? 'isp-backslash' : 'platform-backslash',
    subject: { type: 'url', value },
    legalBasisId: 'vn-decree-147-request',
    ...(verifyUrl === undefined ? {} : { verifyUrl }),
  });

describe('a url subject written with backslashes', () => {
  // URL parsers read a backslash in an http(s) URL as a slash: `https://evil.example\.bank.example/` is the page
  // `/.bank.example/` of evil.example to the feeds and the verifier, and reads as a name under bank.example to the
  // ISP or platform the order is sent to as given (`subject.value`, the request's `url`) and in the audit trail.
  // Before: taken (201), as credentials were before they were refused for the same reason.
  it.each([
    ['blocking', 'https://evil.example\\.bank.example/'],
    ['blocking', 'https://www.bank.example\\@evil.example/x'],
    ['takedown', 'https:\\\\evil.example/x'],
    // An empty authority: parsers read the first path segment as the host.
    ['blocking', 'https:///p/1'],
    ['takedown', 'https:/p/1'],
    ['blocking', 'https:p/1'],
  ] as const)('refuses a %s order for %s: 400, and no order', async (kind, value) => {
    const res = await order(kind, value);
    expect(res.status, res.bytes.toString()).toBe(400);
    expect(res.code).toBe('MOD_ERR_API_VALIDATION');
    expect((await api.db.query(`select 1 from orders`)).rows).toEqual([]);
  });

  it('refuses one as the URL a takedown is verified at', async () => {
    const res = await order('takedown', 'https://platform-backslash.example/p/1', 'https://evil.example\\x/');
    expect(res.status, res.bytes.toString()).toBe(400);
    expect((await api.db.query(`select 1 from orders`)).rows).toEqual([]);
  });

  it('takes the same address written with slashes, or with its backslash encoded', async () => {
    expect((await order('blocking', 'https://evil.example/.bank.example/')).status).toBe(201);
    expect((await order('blocking', 'https://evil.example/%5C.bank.example/')).status).toBe(201);
  });
});

describe('a url subject whose authority is empty', () => {
  // `https:///p/1` parses as the page /1 of host `p`: the feeds block https://p/1, the target is sent the text as
  // given. Before: taken (201) and stored as written; the order subjects are refused with the backslashes above.
  it('refuses one as the URL a takedown is verified at', async () => {
    const res = await order('takedown', 'https://platform-backslash.example/p/1', 'https:///p/1');
    expect(res.status, res.bytes.toString()).toBe(400);
  });
});
