import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs, type OrderEvent } from '@mod/contracts';
import { listAudit, mapHostToPlatform, type Order } from '@mod/db';
import {
  automaticHit,
  call,
  HOUR_MS,
  publishVerdict,
  startContentServer,
  startOrdersWorld,
  type ContentServer,
  type OrdersWorld,
} from './orders-helpers.js';
import { readPartners, waitFor } from './helpers.js';

let ow: OrdersWorld;
let content: ContentServer;
const photo = Buffer.from('pretend these are the bytes of a known image');

beforeAll(async () => {
  ow = await startOrdersWorld({ RENOTICE_INTERVAL_HOURS: '6' });
  content = await startContentServer();
  await mapHostToPlatform(ow.world.db, content.host, 'platform-1');
});
afterAll(async () => {
  await content?.close();
  await ow?.close();
});

const ordersOf = async (submissionId: string) => {
  const { rows } = await ow.world.db.query<{ id: string; kind: string; target_tenant_id: string }>(
    'select id, kind, target_tenant_id from orders where submission_id = $1 order by kind, target_tenant_id',
    [submissionId],
  );
  return rows;
};
const getOrder = async (id: string, key = ow.keys['authority-1']) => {
  const res = await call(ow, key, 'GET', `/v1/orders/${id}`);
  expect(res.statusCode).toBe(200);
  return res.json<Order>();
};
const tick = () => ow.actioner.lifecycle.tick();
/** Every target of this world: each reads its order events on its own topic. */
const TARGETS = ['isp-1', 'isp-2', 'platform-1', 'platform-2'];
const eventsFor = async (orderId: string, until: (events: OrderEvent[]) => boolean) => {
  const records = await readPartners(ow.world, 'orderEvents', TARGETS, (r) =>
    until(r.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId)),
  );
  return records.map((m) => Codecs.orderEvent.decode(m.value)).filter((e) => e.orderId === orderId);
};

/** An automatic bank hit for content seen at `path` on the platform's host; returns its takedown order id. */
async function automaticTakedown(
  path: string,
): Promise<{ takedown: string; blocking: string[]; submissionId: string }> {
  // Each test's content differs: blocking orders for the same content would fold into one.
  const body = Buffer.from(`${photo.toString()} at ${path}`);
  content.serve(path, { status: 200, body });
  const verdict = await publishVerdict(ow, {
    hits: [automaticHit()],
    url: `${content.base}${path}`,
    sha256: createHash('sha256').update(body).digest('hex'),
  });
  const orders = await waitFor('orders for the verdict', async () => {
    const rows = await ordersOf(verdict.submissionId);
    return rows.length === 3 ? rows : undefined;
  });
  return {
    takedown: orders.find((o) => o.kind === 'takedown')!.id,
    blocking: orders.filter((o) => o.kind === 'blocking').map((o) => o.id),
    submissionId: verdict.submissionId,
  };
}

async function manualOrder(body: Record<string, unknown>): Promise<Order> {
  const res = await call(ow, ow.keys['authority-1'], 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: 'platform-1',
    ...body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>();
}

describe('orders from decision to done (real Kafka and Postgres, test clock)', () => {
  it('turns an automatic bank hit into blocking requests per ISP, a takedown to the hosting platform and a case', async () => {
    const { takedown, blocking, submissionId } = await automaticTakedown('/auto.jpg');
    expect((await ordersOf(submissionId)).map((o) => [o.kind, o.target_tenant_id])).toEqual([
      ['blocking', 'isp-1'],
      ['blocking', 'isp-2'],
      ['takedown', 'platform-1'],
    ]);
    const order = await getOrder(takedown);
    expect(order).toMatchObject({
      status: 'issued',
      subject: { type: 'url', value: `${content.base}/auto.jpg` },
      verifyUrl: `${content.base}/auto.jpg`,
      clock: { noticesSent: 1, renoticeIntervalMs: 6 * HOUR_MS },
    });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(24 * HOUR_MS);

    const takedowns = await readPartners(ow.world, 'takedownRequests', ['platform-1', 'platform-2'], (r) =>
      r.some((m) => Codecs.takedownRequest.decode(m.value).orderId === takedown),
    );
    const msg = takedowns.find((m) => Codecs.takedownRequest.decode(m.value).orderId === takedown)!;
    // On the platform's own topic, keyed by order.
    expect(msg.tenantId).toBe('platform-1');
    expect(msg.key).toBe(takedown);
    expect(Codecs.takedownRequest.decode(msg.value)).toMatchObject({
      platformTenantId: 'platform-1',
      url: `${content.base}/auto.jpg`,
      evidence: {
        sha256: createHash('sha256').update(`${photo.toString()} at /auto.jpg`).digest('hex'),
        submissionId,
      },
    });
    const blocks = await readPartners(ow.world, 'blockingRequests', ['isp-1', 'isp-2'], (r) =>
      blocking.every((id) => r.some((m) => Codecs.blockingRequest.decode(m.value).orderId === id)),
    );
    const mine = blocks.filter((m) => blocking.includes(Codecs.blockingRequest.decode(m.value).orderId));
    expect(mine.map((m) => m.tenantId).sort()).toEqual(['isp-1', 'isp-2']);
    // Each ISP's request is on its own topic and names that ISP.
    expect(mine.every((m) => Codecs.blockingRequest.decode(m.value).ispTenantId === m.tenantId)).toBe(true);

    const cases = await ow.world.db.query<{ kind: string; order_ids: string[] }>(
      'select kind, order_ids from cases where submission_id = $1',
      [submissionId],
    );
    expect(cases.rows).toHaveLength(1);
    expect(cases.rows[0]?.kind).toBe('confirm');
    expect([...(cases.rows[0]?.order_ids ?? [])].sort()).toEqual([takedown, ...blocking].sort());

    // The authority confirms the automatic decision once; the audit log records it with the issue.
    const confirmed = await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${takedown}/confirm`, {});
    expect(confirmed.json<Order>().confirmedAt).toBe(ow.clock.now().toISOString());
    expect(
      (await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${takedown}/confirm`, {})).statusCode,
    ).toBe(409);
    const audit = await listAudit(ow.world.db, { subjectId: takedown });
    expect(audit.map((r) => r.action)).toEqual(['order.issued', 'order.confirmed']);
  });

  it('takes an order through delivered, acknowledged and actioned to verified once the content is gone', async () => {
    const { takedown } = await automaticTakedown('/full.jpg');
    await tick();
    expect((await getOrder(takedown)).status).toBe('delivered');
    expect(ow.receiver.accepted().some((w) => w.order.id === takedown && w.event === 'order.issued')).toBe(
      true,
    );

    ow.clock.advance(HOUR_MS);
    expect(
      (await call(ow, ow.keys['platform-2'], 'POST', `/v1/orders/${takedown}/acknowledge`)).statusCode,
    ).toBe(404);
    const ack = await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${takedown}/acknowledge`);
    expect(ack.json<Order>().status).toBe('acknowledged');
    ow.clock.advance(2 * HOUR_MS);
    const done = await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${takedown}/actioned`, {
      note: 'removed',
    });
    expect(done.json<Order>().status).toBe('actioned');

    content.serve('/full.jpg', { status: 410, body: Buffer.from('gone') });
    const report = await tick();
    expect(report.verified).toBeGreaterThanOrEqual(1);
    const verified = await getOrder(takedown);
    expect(verified.status).toBe('verified');
    expect(verified.history.map((h) => h.status)).toEqual([
      'issued',
      'delivered',
      'acknowledged',
      'actioned',
      'verified',
    ]);

    const events = await eventsFor(takedown, (e) => e.some((x) => x.event === 'verified'));
    expect(events.map((e) => e.event)).toEqual(['delivered', 'acknowledged', 'actioned', 'verified']);

    const stats = await call(ow, ow.keys['authority-1'], 'GET', '/v1/order-stats');
    const platform = stats
      .json<{ byTarget: { targetTenantId: string; actionSeconds: { median: number } }[] }>()
      .byTarget.find((t) => t.targetTenantId === 'platform-1');
    expect(platform?.actionSeconds.median).toBeGreaterThan(0);
    const own = await call(ow, ow.keys['platform-1'], 'GET', '/v1/order-stats');
    expect(
      own.json<{ byTarget: { targetTenantId: string }[] }>().byTarget.map((t) => t.targetTenantId),
    ).toEqual(['platform-1']);
    const metrics = await ow.registry.metrics();
    expect(metrics).toMatch(/mod_orders_open\{kind="takedown"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mod_order_time_to_action_seconds\{kind="takedown",quantile="0.5"[^}]*\} \d/);
  });

  it('reopens an order whose content is still served, re-notices, and verifies once it no longer matches', async () => {
    const { takedown } = await automaticTakedown('/still.jpg');
    await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${takedown}/actioned`, {
      note: 'done, honestly',
    });
    const first = await tick();
    expect(first.reopened).toBeGreaterThanOrEqual(1);
    const reopened = await getOrder(takedown);
    expect(reopened).toMatchObject({ status: 'reopened', verificationFailures: 1 });
    expect(reopened.clock.nextNoticeAt).toBe(ow.clock.now().toISOString());
    await tick();
    expect((await getOrder(takedown)).clock.noticesSent).toBe(2);
    expect(ow.receiver.accepted().some((w) => w.order.id === takedown && w.event === 'order.renoticed')).toBe(
      true,
    );

    content.serve('/still.jpg', { status: 200, body: Buffer.from('a different picture now') });
    await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${takedown}/actioned`, { note: 'replaced' });
    await tick();
    expect((await getOrder(takedown)).status).toBe('verified');
  });

  it('lets an authority issue a takedown by hand under a configured legal basis (EU TCO: 1 hour)', async () => {
    const url = `${content.base}/manual.jpg`;
    const order = await manualOrder({ subject: { type: 'url', value: url }, legalBasisId: 'eu-tco' });
    expect(order).toMatchObject({ kind: 'takedown', issuerTenantId: 'authority-1', verifyUrl: url });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(HOUR_MS);
    // The same order again is a request folded into the open one (the platform still has one order); targets
    // may not issue; unknown bases are refused.
    const again = await call(ow, ow.keys['authority-1'], 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-1',
      subject: { type: 'url', value: url },
      legalBasisId: 'eu-tco',
    });
    expect(again.statusCode).toBe(201);
    expect(again.json<Order>()).toMatchObject({ folded: true, deadlineAt: order.deadlineAt });
    expect(again.json<Order>().id).not.toBe(order.id);
    const platformSees = await call(ow, ow.keys['platform-1'], 'GET', '/v1/orders?limit=100');
    const seen = platformSees.json<{ orders: Order[] }>().orders.map((o) => o.id);
    expect(seen).toContain(order.id);
    expect(seen).not.toContain(again.json<Order>().id);
    const byPlatform = await call(ow, ow.keys['platform-1'], 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-1',
      subject: { type: 'url', value: url },
      legalBasisId: 'eu-tco',
    });
    expect(byPlatform.statusCode).toBe(403);
    const unknown = await call(ow, ow.keys['authority-1'], 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-1',
      subject: { type: 'url', value: `${url}?2` },
      legalBasisId: 'no-such-law',
    });
    expect(unknown.statusCode).toBe(400);
    const msgs = await readPartners(ow.world, 'takedownRequests', ['platform-1'], (r) =>
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
    const order = await manualOrder({
      subject: { type: 'url', value: `${content.base}/late.jpg` },
      legalBasisId: 'eu-tco',
    });
    ow.clock.advance(59 * 60_000);
    await tick();
    expect((await getOrder(order.id)).clock.escalatedAt).toBeNull();
    ow.clock.advance(2 * 60_000);
    await tick();
    await tick();
    const late = await getOrder(order.id);
    expect(late.clock.escalatedAt).not.toBeNull();
    expect(late.overdue).toBe(true);
    expect(late.history.filter((h) => h.status === 'escalated')).toHaveLength(1);
    const events = await eventsFor(order.id, (e) => e.some((x) => x.event === 'escalated'));
    expect(events.filter((e) => e.event === 'escalated')).toEqual([
      expect.objectContaining({ escalateTo: 'authority-1', status: late.status }),
    ]);
    expect(
      ow.receiver.accepted().filter((w) => w.order.id === order.id && w.event === 'order.escalated'),
    ).toHaveLength(1);
    const stats = await call(ow, ow.keys['authority-1'], 'GET', '/v1/order-stats');
    expect(stats.json<{ overall: { overdue: number } }>().overall.overdue).toBeGreaterThanOrEqual(1);
  });

  it('re-notices every configured interval (6 h here) until the target acts', async () => {
    const { takedown, blocking } = await automaticTakedown('/renotice.jpg');
    const notices = async (id: string) => (await getOrder(id)).clock.noticesSent;
    ow.clock.advance(6 * HOUR_MS - 60_000);
    await tick();
    expect(await notices(takedown)).toBe(1);
    ow.clock.advance(60_000);
    await tick();
    expect(await notices(takedown)).toBe(2);
    expect(await notices(blocking[0]!)).toBe(2);
    ow.clock.advance(6 * HOUR_MS);
    await tick();
    expect(await notices(takedown)).toBe(3);
    await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${takedown}/actioned`, { note: 'removed' });
    ow.clock.advance(6 * HOUR_MS);
    await tick();
    expect(await notices(takedown)).toBe(3);
    expect(
      ow.receiver.accepted().filter((w) => w.order.id === takedown && w.event === 'order.renoticed'),
    ).toHaveLength(2);
    const events = await eventsFor(blocking[0]!, (e) => e.filter((x) => x.event === 'renoticed').length >= 3);
    expect(events.filter((e) => e.event === 'renoticed').map((e) => e.targetTenantId)).toEqual([
      'isp-1',
      'isp-1',
      'isp-1',
    ]);
  });

  it('stops the clock while paused: no re-notice, no escalation; resuming moves the deadline on', async () => {
    const order = await manualOrder({
      subject: { type: 'url', value: `${content.base}/paused.jpg` },
      legalBasisId: 'vn-decree-147-request',
    });
    ow.clock.advance(HOUR_MS);
    const paused = await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${order.id}/pause`, {
      reason: 'awaiting clarification from the platform',
    });
    expect(paused.json<Order>().clock.pausedAt).toBe(ow.clock.now().toISOString());
    expect(
      (await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${order.id}/pause`, { reason: 'x' }))
        .statusCode,
    ).toBe(403);
    ow.clock.advance(48 * HOUR_MS);
    await tick();
    const still = await getOrder(order.id);
    expect(still).toMatchObject({ overdue: false, clock: { escalatedAt: null, noticesSent: 1 } });
    expect(still.deadlineAt).toBe(order.deadlineAt);
    const resumed = await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${order.id}/resume`);
    expect(resumed.json<Order>().deadlineAt).toBe(
      new Date(Date.parse(order.deadlineAt) + 48 * HOUR_MS).toISOString(),
    );
    await tick();
    expect((await getOrder(order.id)).clock.escalatedAt).toBeNull();
    ow.clock.set(new Date(Date.parse(order.deadlineAt) + 48 * HOUR_MS));
    await tick();
    expect((await getOrder(order.id)).clock.escalatedAt).not.toBeNull();
    // An authority may still extend the deadline, which clears the escalation.
    const extended = await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${order.id}/extend`, {
      hours: 24,
      reason: 'platform asked for time',
    });
    expect(extended.json<Order>()).toMatchObject({ overdue: false, clock: { escalatedAt: null } });
  });

  it('records a dispute, tells the issuing authority, and lets the authority withdraw the order', async () => {
    const order = await manualOrder({
      subject: { type: 'url', value: `${content.base}/disputed.jpg` },
      legalBasisId: 'vn-decree-147-complaint',
    });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(48 * HOUR_MS);
    const disputed = await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${order.id}/dispute`, {
      reason: 'this URL is not hosted by us',
    });
    expect(disputed.json<Order>().status).toBe('disputed');
    expect(
      (await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${order.id}/dispute`, { reason: 'again' }))
        .statusCode,
    ).toBe(409);
    await tick();
    expect(ow.receiver.accepted().some((w) => w.order.id === order.id && w.event === 'order.disputed')).toBe(
      true,
    );
    const withdrawn = await call(ow, ow.keys['authority-1'], 'POST', `/v1/orders/${order.id}/withdraw`, {
      reason: 'dispute upheld',
    });
    expect(withdrawn.json<Order>().status).toBe('withdrawn');
    expect(
      (await call(ow, ow.keys['platform-1'], 'POST', `/v1/orders/${order.id}/acknowledge`)).statusCode,
    ).toBe(409);
    const audit = await listAudit(ow.world.db, { subjectId: order.id });
    expect(audit.map((r) => r.action)).toEqual(['order.issued', 'order.disputed', 'order.withdrawn']);
  });

  it('lets a target set its webhook endpoint (public https only) and shows the secret once', async () => {
    const local = await call(ow, ow.keys['platform-2'], 'PUT', '/v1/order-webhook', {
      url: 'https://127.0.0.1/hooks',
    });
    expect(local.statusCode).toBe(400);
    const set = await call(ow, ow.keys['platform-2'], 'PUT', '/v1/order-webhook', {
      url: 'https://hooks.platform-two.example/orders',
    });
    expect(set.statusCode).toBe(200);
    expect(set.json<{ secret: string }>().secret.length).toBeGreaterThanOrEqual(32);
    const got = await call(ow, ow.keys['platform-2'], 'GET', '/v1/order-webhook');
    expect(got.json()).toEqual({
      tenantId: 'platform-2',
      url: 'https://hooks.platform-two.example/orders',
      enabled: true,
    });
    const audit = await listAudit(ow.world.db, { subjectId: 'platform-2' });
    expect(audit.map((r) => r.action)).toContain('webhook.set');
  });

  it('signs webhooks: the receiver rejects a replayed or altered request; failed attempts back off and are visible', async () => {
    await tick(); // deliver what earlier tests left pending, so the next attempt is this order's
    ow.receiver.failNext(1);
    const order = await manualOrder({
      subject: { type: 'url', value: `${content.base}/retry.jpg` },
      legalBasisId: 'eu-tco',
    });
    await tick();
    const afterFirst = await call(ow, ow.keys['platform-1'], 'GET', `/v1/orders/${order.id}/deliveries`);
    const [delivery] = afterFirst.json<{
      deliveries: { status: string; attempts: { statusCode: number }[]; nextAttemptAt: string }[];
    }>().deliveries;
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ statusCode: 503 }] });
    // Backoff 1 s base with jitter 0.5 → 750 ms after the attempt.
    expect(Date.parse(delivery!.nextAttemptAt) - ow.clock.now().getTime()).toBe(750);
    await tick();
    expect((await getOrder(order.id)).status).toBe('issued');
    ow.clock.advance(750);
    await tick();
    const afterRetry = await call(ow, ow.keys['platform-1'], 'GET', `/v1/orders/${order.id}/deliveries`);
    expect(
      afterRetry.json<{ deliveries: { status: string; attempts: unknown[] }[] }>().deliveries[0],
    ).toMatchObject({
      status: 'delivered',
      attempts: [{ statusCode: 503 }, { statusCode: 204 }],
    });
    expect((await getOrder(order.id)).status).toBe('delivered');

    // The receiver: a replay of the delivery just accepted, an altered body, and an old request all fail.
    const replayOf = (r: (typeof ow.receiver.requests)[number]) => {
      const { 'content-length': _length, host: _host, connection: _connection, ...headers } = r.headers;
      return { headers, body: r.body };
    };
    const latest = replayOf(ow.receiver.requests.filter((r) => r.accepted).at(-1)!);
    const oldest = replayOf(ow.receiver.requests.find((r) => r.accepted)!);
    const post = (r: { headers: Record<string, string>; body: string }) =>
      fetch(ow.receiver.url, { method: 'POST', headers: r.headers, body: r.body }).then((res) => res.status);
    expect(latest.body).toContain('"event":"order.');
    // Each attempt is a span of its own: the platform can quote it when it reports a delivery problem.
    const attempts = ow.receiver.requests.slice(-2).map((r) => r.headers['traceparent'] ?? '');
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
    expect(ow.receiver.requests.slice(-3).map((r) => r.reason)).toEqual([
      'replayed',
      'bad-signature',
      'stale',
    ]);
  });
});
