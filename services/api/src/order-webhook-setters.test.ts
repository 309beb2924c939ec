import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { getWebhookEndpoint } from '@mod/db/orders';
import { useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpCaller } from './over-http.test-helper.js';

/*
 * Who may point a tenant's order webhook (every future order notice and escalation goes there), over HTTP on
 * loopback: a target's integration its own; an authority's officers (keys and people) never, the admin for them.
 */
const api = useCallersWorld({
  officerKey: ['auth-w', 'authority'],
  platform: ['plat-w', 'platform'],
  isp: ['isp-w', 'isp'],
  admin: ['ops-w', 'admin'],
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let officer: SignedIn;
const hook = (path: string) => `https://hooks.example.org/${path}`;
const putOwn = (who: HttpCaller, url: string) => call(who, 'PUT', '/v1/order-webhook', { url });
const putAsAdmin = (tenantId: string, url: string) =>
  call(api.keys.admin, 'PUT', `/v1/admin/tenants/${tenantId}/order-webhook`, { url });
/** Where the tenant's notices go now (null: nowhere). */
const endpointOf = async (tenantId: string) => (await getWebhookEndpoint(api.db, tenantId))?.url ?? null;
const audited = async (action: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter((r) => r.action === action);

beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  officer = await signedInPerson(api.db, 'auth-w', 'authority', 'officer-w');
  await upsertTenant(api.db, {
    id: 'hotline-w',
    kind: 'hotline',
    name: 'Hotline',
    subscribedToBlocking: false,
  });
});

describe("an authority's order webhook", () => {
  it('is set by the admin, audited, with a new secret; the authority reads where it points', async () => {
    const set = await putAsAdmin('auth-w', hook('authority-w'));
    expect(set.status).toBe(200);
    expect(set.json()).toMatchObject({ tenantId: 'auth-w', url: hook('authority-w'), enabled: true });
    expect(set.json<{ secret: string }>().secret.length).toBeGreaterThan(20);
    const records = (await audited('webhook.set')).filter((r) => r.subject.id === 'auth-w');
    expect(records.map((r) => [r.role, r.actor.kind])).toEqual([['admin', 'user']]);
    const read = await call(api.keys.officerKey, 'GET', '/v1/order-webhook');
    expect(read.json()).toEqual({ tenantId: 'auth-w', url: hook('authority-w'), enabled: true });
  });

  it('may not be repointed by its officers, key or person: 403, on record, notices still go where the admin said', async () => {
    await putAsAdmin('auth-w', hook('authority-w'));
    const byKey = await putOwn(api.keys.officerKey, hook('attacker-key'));
    expect([byKey.status, byKey.code]).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    const byPerson = await putOwn(officer, hook('attacker-person'));
    expect([byPerson.status, byPerson.code]).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    // Disabling it is a PUT too.
    const off = await call(officer, 'PUT', '/v1/order-webhook', { url: hook('authority-w'), enabled: false });
    expect([off.status, off.code]).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    expect(await endpointOf('auth-w')).toBe(hook('authority-w'));
    expect((await getWebhookEndpoint(api.db, 'auth-w'))?.enabled).toBe(true);
    // The record names the route (its id spelled without the space: `PUT_/v1/order-webhook`).
    const denials = (await audited('auth.denied')).filter((r) =>
      /^PUT.\/v1\/order-webhook$/.test(r.subject.id),
    );
    expect(denials.map((r) => [r.actor.kind, r.role, r.reason])).toEqual([
      ['user', 'authority', 'role'],
      ['person', 'authority', 'role'],
      ['person', 'authority', 'role'],
    ]);
  });
});

describe("a target's order webhook", () => {
  it('is pointed by its own integration (platform, ISP), as before', async () => {
    expect((await putOwn(api.keys.platform, hook('platform-w'))).status).toBe(200);
    expect((await putOwn(api.keys.isp, hook('isp-w'))).status).toBe(200);
    expect([await endpointOf('plat-w'), await endpointOf('isp-w')]).toEqual([
      hook('platform-w'),
      hook('isp-w'),
    ]);
  });
});

describe("the admin's route", () => {
  it('checks the target as a target’s own route does, and knows only tenants orders are addressed to', async () => {
    const internal = await putAsAdmin('auth-w', 'https://internal.tenant.test/hooks');
    expect([internal.status, internal.code]).toEqual([400, 'MOD_ERR_API_WEBHOOK_TARGET_REFUSED']);
    expect((await putAsAdmin('hotline-w', hook('hotline'))).code).toBe('MOD_ERR_API_NOT_FOUND');
    expect((await putAsAdmin('nobody-w', hook('nobody'))).code).toBe('MOD_ERR_API_NOT_FOUND');
    expect(await endpointOf('hotline-w')).toBeNull();
    const notAdmin = await call(api.keys.officerKey, 'PUT', '/v1/admin/tenants/auth-w/order-webhook', {
      url: hook('x'),
    });
    expect([notAdmin.status, notAdmin.code]).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
  });
});
