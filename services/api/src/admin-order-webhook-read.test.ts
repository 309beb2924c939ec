import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { auditEvidence, listAudit } from '@mod/db/audit';
import {
  claimDueWebhooks,
  enqueueWebhook,
  getWebhookEndpoint,
  recordWebhookAttempt,
  type WebhookOverview,
} from '@mod/db/orders';
import { useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpCaller } from './over-http.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

/*
 * The admin's read of any tenant's order webhook (and its clearing), over HTTP on loopback against PostgreSQL:
 * where it points, whether a secret is set but never the secret, who set it (the audit log's record), and how its
 * deliveries fare; nobody else reads or clears it.
 */
const api = useCallersWorld({
  admin: ['ops-r', 'admin'],
  officerKey: ['auth-r', 'authority'],
  platform: ['plat-r', 'platform'],
  isp: ['isp-r', 'isp'],
  reviewer: ['hot-r', 'reviewer'],
});
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
let officer: SignedIn;
const hook = (path: string) => `https://hooks.example.org/${path}`;
const path = (tenantId: string) => `/v1/admin/tenants/${tenantId}/order-webhook`;
const read = (who: HttpCaller, tenantId: string) => call(who, 'GET', path(tenantId));
const audited = async (action: string, tenantId: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter(
    (r) => r.action === action && r.subject.id === tenantId,
  );

beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  officer = await signedInPerson(api.db, 'auth-r', 'authority', 'officer-r');
  await upsertTenant(api.db, { id: 'hot-r', kind: 'hotline', name: 'Hotline', subscribedToBlocking: false });
});

describe("the admin's read of a tenant's order webhook", () => {
  it('answers the target, that a secret is set, and who set it when (the audit record), never the secret', async () => {
    const set = await call(api.keys.admin, 'PUT', path('auth-r'), { url: hook('authority-r') });
    expect(set.status).toBe(200);
    const { secret } = set.json<{ secret: string }>();
    const [record] = await audited('webhook.set', 'auth-r');
    const got = await read(api.keys.admin, 'auth-r');
    expect(got.status).toBe(200);
    expect(got.json()).toMatchObject({
      tenantId: 'auth-r',
      tenantKind: 'authority',
      url: hook('authority-r'),
      enabled: true,
      secretSet: true,
      lastChange: {
        action: 'webhook.set',
        at: record?.at,
        actor: record?.actor,
        role: 'admin',
        tenantId: 'ops-r',
        seq: record?.seq,
      },
      deliveries: { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null, lastAttempt: null },
    });
    expect(record?.actor.kind).toBe('user');
    const stored = await getWebhookEndpoint(api.db, 'auth-r');
    expect(stored?.secret).toBe(secret);
    const o = got.json<WebhookOverview>();
    expect(Date.parse(o.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(o.createdAt ?? ''));
    // Not in the answer in any form: neither the one read nor the list.
    const list = await call(api.keys.admin, 'GET', '/v1/admin/order-webhooks?limit=100');
    for (const body of [got.bytes.toString('utf8'), list.bytes.toString('utf8')]) {
      expect(body).not.toContain(secret);
      expect(body.toLowerCase()).not.toContain('"secret"');
    }
  });

  it('lists every tenant orders or escalations are pushed to, with an endpoint or without, a page at a time', async () => {
    const first = await call(api.keys.admin, 'GET', '/v1/admin/order-webhooks?limit=2');
    const page = first.json<{ webhooks: WebhookOverview[]; nextAfter: string | null }>();
    expect(page.webhooks.map((w) => w.tenantId)).toEqual(['auth-r', 'isp-r']);
    expect(page.nextAfter).toBe('isp-r');
    const rest = await call(api.keys.admin, 'GET', '/v1/admin/order-webhooks?limit=2&after=isp-r');
    const tail = rest.json<{ webhooks: WebhookOverview[]; nextAfter: string | null }>();
    // Not the hotline nor the admin's tenant: nothing is pushed to them.
    expect(tail.webhooks.map((w) => [w.tenantId, w.url, w.secretSet, w.lastChange])).toEqual([
      ['plat-r', null, false, null],
    ]);
    expect(tail.nextAfter).toBeNull();
  });

  it('is refused to every other role, key or person (403), and knows no other tenant (404)', async () => {
    for (const who of [api.keys.officerKey, officer, api.keys.platform, api.keys.isp, api.keys.reviewer]) {
      for (const [method, url] of [
        ['GET', path('auth-r')],
        ['GET', path('plat-r')],
        ['GET', '/v1/admin/order-webhooks'],
        ['DELETE', path('auth-r')],
      ] as const) {
        const res = await call(who, method, url);
        expect([method, url, res.status, res.code]).toEqual([method, url, 403, 'MOD_ERR_API_FORBIDDEN']);
      }
    }
    expect((await getWebhookEndpoint(api.db, 'auth-r'))?.url).toBe(hook('authority-r'));
    for (const tenantId of ['nobody-r', 'hot-r', 'ops-r']) {
      const res = await read(api.keys.admin, tenantId);
      expect([tenantId, res.status, res.code]).toEqual([tenantId, 404, 'MOD_ERR_API_NOT_FOUND']);
    }
  });

  it('tells how deliveries fare: pending, delivered, given up, and the last attempt', async () => {
    const own = await call(api.keys.platform, 'PUT', '/v1/order-webhook', { url: hook('platform-r') });
    expect(own.status).toBe(200);
    const orderId = await openTestOrder(api.world, { targetTenantId: 'plat-r' });
    const queue = (event: string) =>
      enqueueWebhook(api.db, { tenantId: 'plat-r', orderId, event, payload: { event }, now: new Date() });
    for (const event of ['order.issued', 'order.reminder', 'order.escalated']) await queue(event);
    const claimed = await claimDueWebhooks(api.db, { now: new Date(), leaseMs: 60_000, limit: 10 });
    const [issued, reminder] = claimed.filter((d) => d.tenantId === 'plat-r');
    if (issued === undefined || reminder === undefined) throw new Error('deliveries not claimed');
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    const attempt = (deliveryId: string, s: number, statusCode: number) =>
      recordWebhookAttempt(api.db, {
        deliveryId,
        at: at(s),
        statusCode,
        error: statusCode < 300 ? null : `HTTP ${statusCode}`,
        durationMs: 5,
        delivered: statusCode < 300,
        retryAt: null,
      });
    await attempt(issued.id, 1, 204);
    await attempt(reminder.id, 2, 503);
    const got = await read(api.keys.admin, 'plat-r');
    expect(got.json<WebhookOverview>()).toMatchObject({
      url: hook('platform-r'),
      secretSet: true,
      lastChange: { action: 'webhook.set', role: 'platform', tenantId: 'plat-r' },
      deliveries: {
        pending: 1,
        delivered: 1,
        failed: 1,
        lastDeliveredAt: at(1).toISOString(),
        lastAttempt: { at: at(2).toISOString(), ok: false, statusCode: 503, error: 'HTTP 503' },
      },
    });
  });
});

describe("the admin's clearing of a tenant's order webhook", () => {
  it('removes target and secret, audited with the URL it pointed at; clearing nothing records nothing', async () => {
    await call(api.keys.admin, 'PUT', path('auth-r'), { url: hook('authority-r2') });
    const cleared = await call(api.keys.admin, 'DELETE', path('auth-r'));
    expect(cleared.status).toBe(200);
    const records = await audited('webhook.cleared', 'auth-r');
    expect(records.map((r) => [r.actor.kind, r.role])).toEqual([['user', 'admin']]);
    const evidence = await auditEvidence(api.db, records[0]?.seq ?? -1);
    expect(Object.fromEntries(evidence?.map((e) => [e.name, e.document]) ?? [])).toEqual({
      url: JSON.stringify(hook('authority-r2')),
      cancelledDeliveries: '0',
    });
    expect(cleared.json()).toMatchObject({
      tenantId: 'auth-r',
      url: null,
      enabled: false,
      secretSet: false,
      createdAt: null,
      lastChange: { action: 'webhook.cleared', seq: records[0]?.seq },
      cancelledDeliveries: 0,
    });
    expect(await getWebhookEndpoint(api.db, 'auth-r')).toBeNull();
    expect((await call(api.keys.admin, 'DELETE', path('auth-r'))).status).toBe(200);
    expect(await audited('webhook.cleared', 'auth-r')).toHaveLength(1);
    expect((await call(api.keys.admin, 'DELETE', path('hot-r'))).code).toBe('MOD_ERR_API_NOT_FOUND');
    // The authority's own read says so: nothing is pushed to it now.
    expect((await call(api.keys.officerKey, 'GET', '/v1/order-webhook')).code).toBe('MOD_ERR_API_NOT_FOUND');
  });

  it('cancels what was queued for the cleared endpoint, counted in the answer and the audit record', async () => {
    const orderId = await openTestOrder(api.world, { targetTenantId: 'plat-r' });
    for (const event of ['order.issued', 'order.reminder'])
      await enqueueWebhook(api.db, {
        tenantId: 'plat-r',
        orderId,
        event,
        payload: { event },
        now: new Date(),
      });
    // One pending from the health test before, and these two.
    expect((await read(api.keys.admin, 'plat-r')).json<WebhookOverview>().deliveries).toMatchObject({
      pending: 3,
      cancelled: 0,
    });
    const cleared = await call(api.keys.admin, 'DELETE', path('plat-r'));
    expect(cleared.json()).toMatchObject({
      url: null,
      cancelledDeliveries: 3,
      deliveries: { pending: 0, delivered: 1, failed: 1, cancelled: 3 },
    });
    const [record] = await audited('webhook.cleared', 'plat-r');
    const evidence = await auditEvidence(api.db, record?.seq ?? -1);
    expect(evidence?.find((e) => e.name === 'cancelledDeliveries')?.document).toBe('3');
    // A new endpoint is sent none of it: nothing is due for it.
    expect((await call(api.keys.admin, 'PUT', path('plat-r'), { url: hook('platform-r-next') })).status).toBe(
      200,
    );
    const due = await claimDueWebhooks(api.db, { now: new Date(), leaseMs: 60_000, limit: 100 });
    expect(due.filter((d) => d.tenantId === 'plat-r')).toEqual([]);
    expect((await call(api.keys.admin, 'DELETE', path('plat-r'))).json()).toMatchObject({
      cancelledDeliveries: 0,
    });
  });

  it('pointed at another URL, cancels what was queued for the old one unless requeue says; both audited', async () => {
    const own = (body: object) => call(api.keys.isp, 'PUT', '/v1/order-webhook', body);
    const queue = async () =>
      enqueueWebhook(api.db, {
        tenantId: 'isp-r',
        orderId: await openTestOrder(api.world, { targetTenantId: 'isp-r' }),
        event: 'order.issued',
        payload: {},
        now: new Date(),
      });
    const lastSet = async () => {
      const records = await audited('webhook.set', 'isp-r');
      const evidence = await auditEvidence(api.db, records.at(-1)?.seq ?? -1);
      return Object.fromEntries((evidence ?? []).map((e) => [e.name, e.document]));
    };
    expect((await own({ url: hook('isp-r') })).status).toBe(200);
    const queued = [await queue(), await queue()];
    // The same URL again (a new secret): the same receiver, the queue kept.
    expect((await own({ url: hook('isp-r') })).json()).toMatchObject({
      cancelledDeliveries: 0,
      requeuedDeliveries: 0,
    });
    const moved = await own({ url: hook('isp-r-moved') });
    expect(moved.json()).toMatchObject({
      url: hook('isp-r-moved'),
      cancelledDeliveries: 2,
      requeuedDeliveries: 0,
    });
    expect(await lastSet()).toMatchObject({ cancelledDeliveries: '2', requeue: 'false' });
    expect((await lastSet()).previousUrl).toContain(hook('isp-r'));
    const { rows } = await api.db.query<{ status: string }>(
      `select status from webhook_deliveries where id = any($1::uuid[])`,
      [queued],
    );
    expect(rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    const kept = await queue();
    const back = await call(api.keys.admin, 'PUT', path('isp-r'), { url: hook('isp-r'), requeue: true });
    expect(back.json()).toMatchObject({ cancelledDeliveries: 0, requeuedDeliveries: 1 });
    expect(await lastSet()).toMatchObject({ requeuedDeliveries: '1', requeue: 'true' });
    const due = await claimDueWebhooks(api.db, { now: new Date(), leaseMs: 60_000, limit: 100 });
    expect(due.filter((d) => d.tenantId === 'isp-r').map((d) => [d.id, d.url])).toEqual([
      [kept, hook('isp-r')],
    ]);
  });
});
