import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeWebhookSender } from '@mod/actioner';
import type { Order } from '@mod/db/orders';
import { defaultAddressPolicy, type Resolver } from '@mod/urls/fetch';
import { buildWorldApp } from './helpers.js';
import { call, startOrdersWorld, type OrdersWorld } from './orders-helpers.js';

// The tenant's DNS, which it controls and may change at will. Registration and delivery ask the same zone, with
// the production address policy; nothing is dialled but loopback (the sender's guard), and here nothing at all.
const zone: Record<string, string> = {
  'hooks.platform-two.test': '93.184.215.14',
  'internal.platform-two.test': '10.0.0.5',
};
const lookups: string[] = [];
const resolver: Resolver = (name) => {
  lookups.push(name);
  const address = zone[name];
  return address === undefined
    ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }))
    : Promise.resolve([{ address, family: 4 }]);
};

let ow: OrdersWorld;
let api: FastifyInstance;

beforeAll(async () => {
  ow = await startOrdersWorld();
  await ow.restartActioner({
    webhookSender: createSafeWebhookSender({
      resolver,
      addressPolicy: defaultAddressPolicy,
      beforeConnect: (target) => {
        if (target.address !== '127.0.0.1') throw new Error('test guard: loopback only');
      },
    }),
  });
  // The API as deployed, but asking the tenant's zone.
  api = await buildWorldApp(ow.world, ow.producer, {
    webhookTargets: { resolver },
    now: () => ow.clock.now(),
  });
});
afterAll(async () => {
  await api?.close();
  await ow?.close();
});

const putWebhook = (url: string) =>
  api.inject({
    method: 'PUT',
    url: '/v1/order-webhook',
    headers: { authorization: `Bearer ${ow.keys['platform-2']}` },
    payload: { url },
  });

describe('webhook targets: checked at registration, and again at every delivery', () => {
  it('refuses at registration a name that resolves to a private address', async () => {
    const res = await putWebhook('https://internal.platform-two.test/orders');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_WEBHOOK_TARGET_REFUSED');
    const unresolvable = await putWebhook('https://kubernetes.default.svc/orders');
    expect(unresolvable.json<{ error: { code: string } }>().error.code).toBe(
      'MOD_ERR_API_WEBHOOK_TARGET_REFUSED',
    );
  });

  it('refuses at delivery a registered name whose DNS answer turned private since', async () => {
    expect((await putWebhook('https://hooks.platform-two.test/orders')).statusCode).toBe(200);
    zone['hooks.platform-two.test'] = '10.0.0.5';
    lookups.length = 0;
    const issued = await call(ow, ow.keys['authority-1'], 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-2',
      subject: { type: 'url', value: 'https://platform-two.example/photo/1' },
      legalBasisId: 'eu-tco',
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const order = issued.json<Order>();
    const before = ow.receiver.requests.length;
    await ow.actioner.lifecycle.runWebhooks();
    const deliveries = await call(ow, ow.keys['platform-2'], 'GET', `/v1/orders/${order.id}/deliveries`);
    expect(
      deliveries.json<{ deliveries: { status: string; attempts: { error: string | null }[] }[] }>()
        .deliveries,
    ).toMatchObject([
      {
        status: 'pending',
        attempts: [{ error: 'blocked-address: the host resolved to an address that is not public' }],
      },
    ]);
    // What the name resolved to is not the tenant's to read (the name could point at the operator's own).
    expect(deliveries.body).not.toContain('10.0.0.5');
    expect(lookups).toEqual(['hooks.platform-two.test']);
    expect(ow.receiver.requests.length).toBe(before);
    const after = await call(ow, ow.keys['platform-2'], 'GET', `/v1/orders/${order.id}`);
    expect(after.json<Order>().status).toBe('issued');
  });
});
