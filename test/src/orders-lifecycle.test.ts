import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { listAudit } from '@mod/db/audit';
import { type Order } from '@mod/db/orders';
import { readPartners } from './helpers.js';
import { HOUR_MS } from './orders-helpers.js';
import { photo, useOrdersScene } from './orders-scene.js';

const scene = useOrdersScene();

describe('orders from decision to done (real Kafka and Postgres, test clock)', () => {
  it('turns an automatic bank hit into blocking requests per ISP, a takedown to the hosting platform and a case', async () => {
    const { takedown, blocking, submissionId } = await scene.automaticTakedown('/auto.jpg');
    expect((await scene.ordersOf(submissionId)).map((o) => [o.kind, o.target_tenant_id])).toEqual([
      ['blocking', 'isp-1'],
      ['blocking', 'isp-2'],
      ['takedown', 'platform-1'],
    ]);
    const order = await scene.getOrder(takedown);
    expect(order).toMatchObject({
      status: 'issued',
      subject: { type: 'url', value: `${scene.content.base}/auto.jpg` },
      verifyUrl: `${scene.content.base}/auto.jpg`,
      clock: { noticesSent: 1, renoticeIntervalMs: 6 * HOUR_MS },
    });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(24 * HOUR_MS);

    const takedowns = await readPartners(
      scene.ow.world,
      'takedownRequests',
      ['platform-1', 'platform-2'],
      (r) => r.some((m) => Codecs.takedownRequest.decode(m.value).orderId === takedown),
    );
    const msg = takedowns.find((m) => Codecs.takedownRequest.decode(m.value).orderId === takedown)!;
    // On the platform's own topic, keyed by order.
    expect(msg.tenantId).toBe('platform-1');
    expect(msg.key).toBe(takedown);
    expect(Codecs.takedownRequest.decode(msg.value)).toMatchObject({
      platformTenantId: 'platform-1',
      url: `${scene.content.base}/auto.jpg`,
      evidence: {
        sha256: createHash('sha256').update(`${photo.toString()} at /auto.jpg`).digest('hex'),
        submissionId,
      },
    });
    const blocks = await readPartners(scene.ow.world, 'blockingRequests', ['isp-1', 'isp-2'], (r) =>
      blocking.every((id) => r.some((m) => Codecs.blockingRequest.decode(m.value).orderId === id)),
    );
    const mine = blocks.filter((m) => blocking.includes(Codecs.blockingRequest.decode(m.value).orderId));
    expect(mine.map((m) => m.tenantId).sort()).toEqual(['isp-1', 'isp-2']);
    // Each ISP's request is on its own topic and names that ISP.
    expect(mine.every((m) => Codecs.blockingRequest.decode(m.value).ispTenantId === m.tenantId)).toBe(true);

    const cases = await scene.ow.world.db.query<{ kind: string; order_ids: string[] }>(
      'select kind, order_ids from cases where submission_id = $1',
      [submissionId],
    );
    expect(cases.rows).toHaveLength(1);
    expect(cases.rows[0]?.kind).toBe('confirm');
    expect([...(cases.rows[0]?.order_ids ?? [])].sort()).toEqual([takedown, ...blocking].sort());

    // The authority confirms the automatic decision once; the audit log records it with the issue.
    const confirmed = await scene.call('authority-1', 'POST', `/v1/orders/${takedown}/confirm`, {});
    expect(confirmed.json<Order>().confirmedAt).toBe(scene.ow.clock.now().toISOString());
    expect((await scene.call('authority-1', 'POST', `/v1/orders/${takedown}/confirm`, {})).statusCode).toBe(
      409,
    );
    const audit = await listAudit(scene.ow.world.db, { subjectId: takedown });
    expect(audit.map((r) => r.action)).toEqual(['order.issued', 'order.confirmed']);
  });

  it('takes an order through delivered, acknowledged and actioned to verified once the content is gone', async () => {
    const { takedown } = await scene.automaticTakedown('/full.jpg');
    await scene.tick();
    expect((await scene.getOrder(takedown)).status).toBe('delivered');
    expect(
      scene.ow.receiver.accepted().some((w) => w.order.id === takedown && w.event === 'order.issued'),
    ).toBe(true);

    scene.ow.clock.advance(HOUR_MS);
    expect((await scene.call('platform-2', 'POST', `/v1/orders/${takedown}/acknowledge`)).statusCode).toBe(
      404,
    );
    const ack = await scene.call('platform-1', 'POST', `/v1/orders/${takedown}/acknowledge`);
    expect(ack.json<Order>().status).toBe('acknowledged');
    scene.ow.clock.advance(2 * HOUR_MS);
    const done = await scene.call('platform-1', 'POST', `/v1/orders/${takedown}/actioned`, {
      note: 'removed',
    });
    expect(done.json<Order>().status).toBe('actioned');

    scene.content.serve('/full.jpg', { status: 410, body: Buffer.from('gone') });
    const report = await scene.tick();
    expect(report.verified).toBeGreaterThanOrEqual(1);
    const verified = await scene.getOrder(takedown);
    expect(verified.status).toBe('verified');
    expect(verified.history.map((h) => h.status)).toEqual([
      'issued',
      'delivered',
      'acknowledged',
      'actioned',
      'verified',
    ]);

    const events = await scene.eventsFor(takedown, (e) => e.some((x) => x.event === 'verified'));
    expect(events.map((e) => e.event)).toEqual(['delivered', 'acknowledged', 'actioned', 'verified']);

    const stats = await scene.call('authority-1', 'GET', '/v1/order-stats');
    const platform = stats
      .json<{ byTarget: { targetTenantId: string; actionSeconds: { median: number } }[] }>()
      .byTarget.find((t) => t.targetTenantId === 'platform-1');
    expect(platform?.actionSeconds.median).toBeGreaterThan(0);
    const own = await scene.call('platform-1', 'GET', '/v1/order-stats');
    expect(
      own.json<{ byTarget: { targetTenantId: string }[] }>().byTarget.map((t) => t.targetTenantId),
    ).toEqual(['platform-1']);
    const metrics = await scene.ow.registry.metrics();
    expect(metrics).toMatch(/mod_orders_open\{kind="takedown"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mod_order_time_to_action_seconds\{kind="takedown",quantile="0.5"[^}]*\} \d/);
  });

  it('reopens an order whose content is still served, re-notices, and verifies once it no longer matches', async () => {
    const { takedown } = await scene.automaticTakedown('/still.jpg');
    await scene.call('platform-1', 'POST', `/v1/orders/${takedown}/actioned`, {
      note: 'done, honestly',
    });
    const first = await scene.tick();
    expect(first.reopened).toBeGreaterThanOrEqual(1);
    const reopened = await scene.getOrder(takedown);
    expect(reopened).toMatchObject({ status: 'reopened', verificationFailures: 1 });
    expect(reopened.clock.nextNoticeAt).toBe(scene.ow.clock.now().toISOString());
    await scene.tick();
    expect((await scene.getOrder(takedown)).clock.noticesSent).toBe(2);
    expect(
      scene.ow.receiver.accepted().some((w) => w.order.id === takedown && w.event === 'order.renoticed'),
    ).toBe(true);

    scene.content.serve('/still.jpg', { status: 200, body: Buffer.from('a different picture now') });
    await scene.call('platform-1', 'POST', `/v1/orders/${takedown}/actioned`, { note: 'replaced' });
    await scene.tick();
    expect((await scene.getOrder(takedown)).status).toBe('verified');
  });

  it('records a dispute, tells the issuing authority, and lets the authority withdraw the order', async () => {
    const order = await scene.manualOrder({
      subject: { type: 'url', value: `${scene.content.base}/disputed.jpg` },
      legalBasisId: 'vn-decree-147-complaint',
    });
    expect(Date.parse(order.deadlineAt) - Date.parse(order.issuedAt)).toBe(48 * HOUR_MS);
    const disputed = await scene.call('platform-1', 'POST', `/v1/orders/${order.id}/dispute`, {
      reason: 'this URL is not hosted by us',
    });
    expect(disputed.json<Order>().status).toBe('disputed');
    expect(
      (await scene.call('platform-1', 'POST', `/v1/orders/${order.id}/dispute`, { reason: 'again' }))
        .statusCode,
    ).toBe(409);
    await scene.tick();
    expect(
      scene.ow.receiver.accepted().some((w) => w.order.id === order.id && w.event === 'order.disputed'),
    ).toBe(true);
    const withdrawn = await scene.call('authority-1', 'POST', `/v1/orders/${order.id}/withdraw`, {
      reason: 'dispute upheld',
    });
    expect(withdrawn.json<Order>().status).toBe('withdrawn');
    expect((await scene.call('platform-1', 'POST', `/v1/orders/${order.id}/acknowledge`)).statusCode).toBe(
      409,
    );
    const audit = await listAudit(scene.ow.world.db, { subjectId: order.id });
    expect(audit.map((r) => r.action)).toEqual(['order.issued', 'order.disputed', 'order.withdrawn']);
  });
});
