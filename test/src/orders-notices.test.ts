import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { type Order } from '@mod/db/orders';
import { readPartners } from './helpers.js';
import { HOUR_MS } from './orders-helpers.js';
import { useOrdersScene } from './orders-scene.js';

const scene = useOrdersScene();

describe('orders from decision to done (real Kafka and Postgres, test clock)', () => {
  it('lets an authority issue a takedown by hand under a configured legal basis (EU TCO: 1 hour)', async () => {
    const url = `${scene.content.base}/manual.jpg`;
    const subject = { type: 'url', value: url };
    const order = await scene.manualOrder({ subject, legalBasisId: 'eu-tco' });
    expect(order).toMatchObject({ kind: 'takedown', issuerTenantId: 'authority-1', verifyUrl: url });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(HOUR_MS);
    // The same order again is a request folded into the open one (the platform still has one order); targets
    // may not issue; unknown bases are refused.
    const again = await scene.requestOrder('authority-1', { subject, legalBasisId: 'eu-tco' });
    expect(again.statusCode).toBe(201);
    expect(again.json<Order>()).toMatchObject({ folded: true, deadlineAt: order.deadlineAt });
    expect(again.json<Order>().id).not.toBe(order.id);
    const platformSees = await scene.call('platform-1', 'GET', '/v1/orders?limit=100');
    const seen = platformSees.json<{ orders: Order[] }>().orders.map((o) => o.id);
    expect(seen).toContain(order.id);
    expect(seen).not.toContain(again.json<Order>().id);
    const byPlatform = await scene.requestOrder('platform-1', { subject, legalBasisId: 'eu-tco' });
    expect(byPlatform.statusCode).toBe(403);
    const unknown = await scene.requestOrder('authority-1', {
      subject: { type: 'url', value: `${url}?2` },
      legalBasisId: 'no-such-law',
    });
    expect(unknown.statusCode).toBe(400);
    const msgs = await readPartners(scene.ow.world, 'takedownRequests', ['platform-1'], (r) =>
      r.some((m) => Codecs.takedownRequest.decode(m.value).orderId === order.id),
    );
    const msg = msgs.filter((m) => Codecs.takedownRequest.decode(m.value).orderId === order.id);
    expect(msg).toHaveLength(1);
    expect(msg[0]?.tenantId).toBe('platform-1');
    expect(Codecs.takedownRequest.decode(msg[0]!.value).issuer).toEqual({
      kind: 'authority',
      id: 'authority-1',
    });
  });

  it('escalates a missed deadline to the issuing authority, once', async () => {
    const order = await scene.manualOrder({
      subject: { type: 'url', value: `${scene.content.base}/late.jpg` },
      legalBasisId: 'eu-tco',
    });
    scene.ow.clock.advance(59 * 60_000);
    await scene.tick();
    expect((await scene.getOrder(order.id)).clock.escalatedAt).toBeNull();
    scene.ow.clock.advance(2 * 60_000);
    await scene.tick();
    await scene.tick();
    const late = await scene.getOrder(order.id);
    expect(late.clock.escalatedAt).not.toBeNull();
    expect(late.overdue).toBe(true);
    expect(late.history.filter((h) => h.status === 'escalated')).toHaveLength(1);
    const events = await scene.eventsFor(order.id, (e) => e.some((x) => x.event === 'escalated'));
    expect(events.filter((e) => e.event === 'escalated')).toEqual([
      expect.objectContaining({ escalateTo: 'authority-1', status: late.status }),
    ]);
    expect(
      scene.ow.receiver.accepted().filter((w) => w.order.id === order.id && w.event === 'order.escalated'),
    ).toHaveLength(1);
    const stats = await scene.call('authority-1', 'GET', '/v1/order-stats');
    expect(stats.json<{ overall: { overdue: number } }>().overall.overdue).toBeGreaterThanOrEqual(1);
  });

  it('re-notices every configured interval (6 h here) until the target acts', async () => {
    const { takedown, blocking } = await scene.automaticTakedown('/renotice.jpg');
    const notices = async (id: string) => (await scene.getOrder(id)).clock.noticesSent;
    scene.ow.clock.advance(6 * HOUR_MS - 60_000);
    await scene.tick();
    expect(await notices(takedown)).toBe(1);
    scene.ow.clock.advance(60_000);
    await scene.tick();
    expect(await notices(takedown)).toBe(2);
    expect(await notices(blocking[0]!)).toBe(2);
    scene.ow.clock.advance(6 * HOUR_MS);
    await scene.tick();
    expect(await notices(takedown)).toBe(3);
    await scene.call('platform-1', 'POST', `/v1/orders/${takedown}/actioned`, { note: 'removed' });
    scene.ow.clock.advance(6 * HOUR_MS);
    await scene.tick();
    expect(await notices(takedown)).toBe(3);
    expect(
      scene.ow.receiver.accepted().filter((w) => w.order.id === takedown && w.event === 'order.renoticed'),
    ).toHaveLength(2);
    const events = await scene.eventsFor(
      blocking[0]!,
      (e) => e.filter((x) => x.event === 'renoticed').length >= 3,
    );
    expect(events.filter((e) => e.event === 'renoticed').map((e) => e.targetTenantId)).toEqual([
      'isp-1',
      'isp-1',
      'isp-1',
    ]);
  });

  it('stops the clock while paused: no re-notice, no escalation; resuming moves the deadline on', async () => {
    const order = await scene.manualOrder({
      subject: { type: 'url', value: `${scene.content.base}/paused.jpg` },
      legalBasisId: 'vn-decree-147-request',
    });
    scene.ow.clock.advance(HOUR_MS);
    const paused = await scene.call('authority-1', 'POST', `/v1/orders/${order.id}/pause`, {
      reason: 'awaiting clarification from the platform',
    });
    expect(paused.json<Order>().clock.pausedAt).toBe(scene.ow.clock.now().toISOString());
    expect(
      (await scene.call('platform-1', 'POST', `/v1/orders/${order.id}/pause`, { reason: 'x' })).statusCode,
    ).toBe(403);
    scene.ow.clock.advance(48 * HOUR_MS);
    await scene.tick();
    const still = await scene.getOrder(order.id);
    expect(still).toMatchObject({ overdue: false, clock: { escalatedAt: null, noticesSent: 1 } });
    expect(still.deadlineAt).toBe(order.deadlineAt);
    const resumed = await scene.call('authority-1', 'POST', `/v1/orders/${order.id}/resume`);
    expect(resumed.json<Order>().deadlineAt).toBe(
      new Date(Date.parse(order.deadlineAt) + 48 * HOUR_MS).toISOString(),
    );
    await scene.tick();
    expect((await scene.getOrder(order.id)).clock.escalatedAt).toBeNull();
    scene.ow.clock.set(new Date(Date.parse(order.deadlineAt) + 48 * HOUR_MS));
    await scene.tick();
    expect((await scene.getOrder(order.id)).clock.escalatedAt).not.toBeNull();
    // An authority may still extend the deadline, which clears the escalation.
    const extended = await scene.call('authority-1', 'POST', `/v1/orders/${order.id}/extend`, {
      hours: 24,
      reason: 'platform asked for time',
    });
    expect(extended.json<Order>()).toMatchObject({ overdue: false, clock: { escalatedAt: null } });
  });

  it('lets a target set its webhook endpoint (public https only) and shows the secret once', async () => {
    const local = await scene.call('platform-2', 'PUT', '/v1/order-webhook', {
      url: 'https://127.0.0.1/hooks',
    });
    expect(local.statusCode).toBe(400);
    const set = await scene.call('platform-2', 'PUT', '/v1/order-webhook', {
      url: 'https://hooks.platform-two.example/orders',
    });
    expect(set.statusCode).toBe(200);
    expect(set.json<{ secret: string }>().secret.length).toBeGreaterThanOrEqual(32);
    const got = await scene.call('platform-2', 'GET', '/v1/order-webhook');
    expect(got.json()).toEqual({
      tenantId: 'platform-2',
      url: 'https://hooks.platform-two.example/orders',
      enabled: true,
    });
    const audit = await listAudit(scene.ow.world.db, { subjectId: 'platform-2' });
    expect(audit.map((r) => r.action)).toContain('webhook.set');
  });

  it('signs webhooks: the receiver rejects a replayed or altered request; failed attempts back off and are visible', async () => {
    await scene.tick(); // deliver what earlier tests left pending, so the next attempt is this order's
    scene.ow.receiver.failNext(1);
    const order = await scene.manualOrder({
      subject: { type: 'url', value: `${scene.content.base}/retry.jpg` },
      legalBasisId: 'eu-tco',
    });
    await scene.tick();
    const afterFirst = await scene.call('platform-1', 'GET', `/v1/orders/${order.id}/deliveries`);
    const [delivery] = afterFirst.json<{
      deliveries: { status: string; attempts: { statusCode: number }[]; nextAttemptAt: string }[];
    }>().deliveries;
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ statusCode: 503 }] });
    // Backoff 1 s base with jitter 0.5 → 750 ms after the attempt.
    expect(Date.parse(delivery!.nextAttemptAt) - scene.ow.clock.now().getTime()).toBe(750);
    await scene.tick();
    expect((await scene.getOrder(order.id)).status).toBe('issued');
    scene.ow.clock.advance(750);
    await scene.tick();
    const afterRetry = await scene.call('platform-1', 'GET', `/v1/orders/${order.id}/deliveries`);
    expect(
      afterRetry.json<{ deliveries: { status: string; attempts: unknown[] }[] }>().deliveries[0],
    ).toMatchObject({
      status: 'delivered',
      attempts: [{ statusCode: 503 }, { statusCode: 204 }],
    });
    expect((await scene.getOrder(order.id)).status).toBe('delivered');

    // The receiver: a replay of the delivery just accepted, an altered body, and an old request all fail.
    const replayOf = (r: (typeof scene.ow.receiver.requests)[number]) => {
      const { 'content-length': _length, host: _host, connection: _connection, ...headers } = r.headers;
      return { headers, body: r.body };
    };
    const latest = replayOf(scene.ow.receiver.requests.filter((r) => r.accepted).at(-1)!);
    const oldest = replayOf(scene.ow.receiver.requests.find((r) => r.accepted)!);
    const post = (r: { headers: Record<string, string>; body: string }) =>
      fetch(scene.ow.receiver.url, { method: 'POST', headers: r.headers, body: r.body }).then(
        (res) => res.status,
      );
    expect(latest.body).toContain('"event":"order.');
    // Each attempt is a span of its own: the platform can quote it when it reports a delivery problem.
    const attempts = scene.ow.receiver.requests.slice(-2).map((r) => r.headers['traceparent'] ?? '');
    for (const t of attempts) expect(t).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(new Set(attempts).size).toBe(2);
    expect(await post(latest)).toBe(401);
    expect(
      await post({
        headers: { ...latest.headers, 'x-mod-delivery': 'fresh-id' },
        body: latest.body.replace('"event":"order.', '"event":"order.x'),
      }),
    ).toBe(401);
    expect(await post({ ...oldest, headers: { ...oldest.headers, 'x-mod-delivery': 'other-id' } })).toBe(401);
    expect(scene.ow.receiver.requests.slice(-3).map((r) => r.reason)).toEqual([
      'replayed',
      'bad-signature',
      'stale',
    ]);
  });
});
