import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import type { Resolver } from '@mod/urls/fetch';
import { useCallersWorld } from './callers-world.test-helper.js';
import { errorCodeOf } from './testing.test-helper.js';

// DNS as these tests see it; nothing is ever dialled (registration resolves, it does not connect).
const zone: Record<string, string[]> = {
  'hooks.tenant.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'internal.tenant.test': ['10.0.0.5'],
  'office.tenant.test': ['192.168.1.20'],
  'metadata.tenant.test': ['169.254.169.254'],
  'linklocal.tenant.test': ['169.254.10.1'],
  'cgnat.tenant.test': ['100.64.0.9'],
  'multicast.tenant.test': ['224.0.0.251'],
  'loopback.tenant.test': ['127.0.0.1', '::1'],
  'ula.tenant.test': ['fd00::1'],
  'mapped.tenant.test': ['::ffff:10.0.0.1'],
  'mixed.tenant.test': ['93.184.215.14', '10.1.1.1'],
  // Inside a cluster this name resolves to the API server's service address.
  'kubernetes.default.svc': ['10.96.0.1'],
};
const resolver: Resolver = (name) => {
  const answers = zone[name];
  return answers === undefined
    ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }))
    : Promise.resolve(answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

const api = useCallersWorld(
  { platform: ['plat-w', 'platform'] },
  { build: { webhookTargets: { resolver } } },
);

const put = (url: string) => api.call(api.keys.platform, 'PUT', '/v1/order-webhook', { url });
/** A registration refused (400): its answer. */
const refused = async (url: string) => {
  const res = await put(url);
  expect(res.statusCode).toBe(400);
  return res;
};

describe('webhook targets are resolved and checked at registration', () => {
  it.each([
    'https://internal.tenant.test/hooks',
    'https://office.tenant.test/hooks',
    'https://metadata.tenant.test/latest/meta-data/',
    'https://linklocal.tenant.test/',
    'https://cgnat.tenant.test/',
    'https://multicast.tenant.test/',
    'https://loopback.tenant.test/',
    'https://ula.tenant.test/',
    'https://mapped.tenant.test/',
    'https://mixed.tenant.test/',
    'https://kubernetes.default.svc/',
    'https://Internal.Tenant.Test./hooks',
    'https://nowhere.tenant.test/hooks',
  ])('refuses %s (internal or unresolvable) with MOD_ERR_API_WEBHOOK_TARGET_REFUSED', async (url) => {
    expect((await refused(url)).json()).toEqual({
      error: {
        code: 'MOD_ERR_API_WEBHOOK_TARGET_REFUSED',
        message: 'the webhook host must resolve, and only to public addresses',
      },
    });
  });

  it.each([
    'https://localhost./',
    'https://LOCALHOST../hooks',
    'https://printer.local./',
    'https://10.0.0.5/hooks',
    'https://[::1]/hooks',
    'http://hooks.tenant.test/hooks',
    'https://user:pw@hooks.tenant.test/hooks',
  ])('refuses %s by its form, before resolving', async (url) => {
    expect(errorCodeOf(await refused(url))).toBe('MOD_ERR_API_VALIDATION');
  });

  it('stores nothing that was refused, and accepts a name whose every address is public', async () => {
    expect(
      (
        await api.app.inject({
          url: '/v1/order-webhook',
          headers: { authorization: `Bearer ${api.keys.platform}` },
        })
      ).statusCode,
    ).toBe(404);
    expect((await listAudit(api.db, { limit: 1000 })).map((a) => a.action)).not.toContain('webhook.set');
    const ok = await put('https://hooks.tenant.test/orders');
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ url: string }>().url).toBe('https://hooks.tenant.test/orders');
  });
});
