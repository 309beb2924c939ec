import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimDueWebhooks, recordWebhookAttempt, setWebhookEndpoint, type Order } from '@mod/db/orders';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

/**
 * The webhook deliveries of an order, as its parties read them: each party the deliveries to its own endpoint,
 * never the other party's (whose failures name its endpoint's host and the addresses it resolved to);
 * oversight every delivery.
 */

const api = useCallersWorld(castCallers('authA', 'platA', 'reviewer'));

interface Deliveries {
  deliveries: { event: string; attempts: { error: string | null }[] }[];
}

const deliveriesAs = async (key: string, id: string) => {
  const res = await api.call(key, 'GET', `/v1/orders/${id}/deliveries`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Deliveries>().deliveries;
};

describe('order webhook deliveries', () => {
  it('are read by each party for its own endpoint only; oversight reads them all', async () => {
    await setWebhookEndpoint(api.db, { tenantId: 'plat-a', url: 'https://hooks.plat-a.example/orders' });
    await setWebhookEndpoint(api.db, { tenantId: 'auth-a', url: 'https://intake.auth-a.example/orders' });
    const issued = await api.call(api.keys.authA, 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'plat-a',
      subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
      legalBasisId: 'vn-decree-147-request',
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const id = issued.json<Order>().id;
    const ack = await api.call(api.keys.platA, 'POST', `/v1/orders/${id}/acknowledge`);
    expect(ack.statusCode, ack.body).toBe(200);
    // Both deliveries fail once, each receiver answering its own status.
    const claimed = (
      await claimDueWebhooks(api.db, { now: new Date(), leaseMs: 60_000, limit: 1000 })
    ).filter((d) => d.orderId === id);
    expect(claimed.map((d) => d.tenantId).sort()).toEqual(['auth-a', 'plat-a']);
    for (const d of claimed)
      await recordWebhookAttempt(api.db, {
        deliveryId: d.id,
        at: new Date(),
        statusCode: d.tenantId === 'auth-a' ? 502 : 503,
        error: `HTTP ${d.tenantId === 'auth-a' ? 502 : 503}`,
        durationMs: 3,
        delivered: false,
        retryAt: new Date(Date.now() + 60_000),
      });

    const toPlatform = await deliveriesAs(api.keys.platA, id);
    expect(toPlatform.map((d) => d.event)).toEqual(['issued']);
    expect(JSON.stringify(toPlatform)).not.toContain('HTTP 502');
    const toAuthority = await deliveriesAs(api.keys.authA, id);
    expect(toAuthority.map((d) => d.event)).toEqual(['acknowledged']);
    expect(toAuthority[0]?.attempts).toMatchObject([{ statusCode: 502, error: 'HTTP 502' }]);
    expect(JSON.stringify(toAuthority)).not.toContain('HTTP 503');
    expect((await deliveriesAs(api.keys.reviewer, id)).map((d) => d.event)).toEqual([
      'issued',
      'acknowledged',
    ]);
  });

  it('of an automatic order go to the authority that confirmed it when the target answers', async () => {
    await setWebhookEndpoint(api.db, { tenantId: 'plat-a', url: 'https://hooks.plat-a.example/orders' });
    await setWebhookEndpoint(api.db, { tenantId: 'auth-a', url: 'https://intake.auth-a.example/orders' });
    const id = await openTestOrder(api.world, { targetTenantId: 'plat-a' });
    const confirmed = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/confirm`, {});
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    for (const verb of ['acknowledge', 'dispute'] as const) {
      const res = await api.call(
        api.keys.platA,
        'POST',
        `/v1/orders/${id}/${verb}`,
        verb === 'dispute' ? { reason: 'the page is a news report' } : undefined,
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await deliveriesAs(api.keys.authA, id)).map((d) => d.event)).toEqual([
      'acknowledged',
      'disputed',
    ]);
  });
});
