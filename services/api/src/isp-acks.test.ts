import { partnerTopic } from '@mod/contracts';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { getOrder, setWebhookEndpoint } from '@mod/db/orders';
import { useCallersWorld } from './callers-world.test-helper.js';
import { bearer, openTestOrder } from './testing.test-helper.js';

const api = useCallersWorld(
  { 'isp-a': ['isp-a', 'isp'], 'isp-b': ['isp-b', 'isp'], authority: ['auth-1', 'authority'] },
  { tenants: { 'plat-a': 'platform' } },
);

const newOrder = (target = 'isp-a', kind: 'blocking' | 'takedown' = 'blocking') =>
  openTestOrder(api.world, {
    kind,
    subjectType: 'url',
    subjectValue: `http://blocked.example/${randomBytes(6).toString('hex')}`,
    targetTenantId: target,
    issuer: { kind: 'authority', id: 'auth-1' },
    issuerTenantId: 'auth-1',
  });

const ack = (orderId: string, body: Record<string, unknown>, key = api.keys['isp-a']) =>
  api.app.inject({
    method: 'POST',
    url: `/v1/isp/blocking-requests/${orderId}/acknowledgements`,
    headers: bearer(key),
    payload: body,
  });

const history = async (orderId: string) =>
  (await getOrder(api.db, orderId, { all: true }))!.history.map((h) => [h.status, h.note]);

/** Messages about an order waiting in the outbox for the target's order-events topic. */
async function orderEventMessages(
  orderId: string,
  target = 'isp-a',
): Promise<{ event: string; status: string }[]> {
  const { rows } = await api.db.query<{ payload: { event: string; status: string } }>(
    `select payload from outbox where topic = $1 and key = $2 order by id`,
    [partnerTopic(api.world.prefix, 'orderEvents', target), orderId],
  );
  return rows.map((r) => ({ event: r.payload.event, status: r.payload.status }));
}

const ackAudit = async (orderId: string) =>
  (await listAudit(api.db, { subjectId: orderId })).filter((a) => a.role === 'isp').map((a) => a.action);

describe('ISP acknowledgements drive the order lifecycle', () => {
  it('failed reopens the order with the reason; applied actions it; each once, announced and audited', async () => {
    const id = await newOrder();
    const missing = await ack(id, { status: 'failed' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });

    const failed = await ack(id, { status: 'failed', reason: 'resolver rejected the zone' });
    expect(failed.statusCode).toBe(201);
    expect(failed.json()).toMatchObject({
      orderId: id,
      status: 'failed',
      event: 'action-failed',
      orderStatus: 'reopened',
      duplicate: false,
    });
    const order = await getOrder(api.db, id, { all: true });
    expect(order?.status).toBe('reopened');
    expect(order?.acknowledgedAt).not.toBeNull();

    // The same report again: 200, nothing new anywhere.
    const again = await ack(id, { status: 'failed', reason: 'resolver rejected the zone' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      duplicate: true,
      orderStatus: 'reopened',
      at: failed.json<{ at: string }>().at,
    });
    // Another reason is another report.
    const other = await ack(id, { status: 'failed', reason: 'zone too large for the resolver' });
    expect(other.statusCode).toBe(201);

    const applied = await ack(id, { status: 'applied' });
    expect(applied.statusCode).toBe(201);
    expect(applied.json()).toMatchObject({ status: 'applied', event: 'actioned', orderStatus: 'actioned' });
    const appliedAgain = await ack(id, { status: 'applied', reason: 'still applied' });
    expect(appliedAgain.statusCode).toBe(200);
    expect(appliedAgain.json()).toMatchObject({ duplicate: true, orderStatus: 'actioned' });

    expect(await history(id)).toEqual([
      ['issued', null],
      ['action-failed', 'resolver rejected the zone'],
      ['action-failed', 'zone too large for the resolver'],
      ['actioned', 'block applied by the ISP'],
    ]);
    expect(await orderEventMessages(id)).toEqual([
      { event: 'action-failed', status: 'reopened' },
      { event: 'action-failed', status: 'reopened' },
      { event: 'actioned', status: 'actioned' },
    ]);
    expect(await ackAudit(id)).toEqual(['order.apply_failed', 'order.apply_failed', 'order.applied']);

    // A failure after the block was applied reopens it again.
    const later = await ack(id, { status: 'failed', reason: 'resolver reload failed' });
    expect(later.json()).toMatchObject({ orderStatus: 'reopened', duplicate: false });
    const reopened = await getOrder(api.db, id, { all: true });
    expect(reopened?.clock.nextNoticeAt).not.toBeNull();
  });

  it('an acknowledgement the order state forbids is a 409 with a stable code; nothing is recorded', async () => {
    const id = await newOrder();
    const withdrawn = await api.app.inject({
      method: 'POST',
      url: `/v1/orders/${id}/withdraw`,
      headers: bearer(api.keys['authority']),
      payload: { reason: 'issued in error' },
    });
    expect(withdrawn.statusCode).toBe(200);
    const before = await history(id);
    for (const body of [{ status: 'applied' }, { status: 'failed', reason: 'x' }]) {
      const res = await ack(id, body);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        error: { code: 'MOD_ERR_API_CONFLICT', message: 'order is withdrawn' },
      });
    }
    expect(await history(id)).toEqual(before);
    expect(await ackAudit(id)).toEqual([]);
  });

  it("another ISP's request and non-blocking orders are 404; concurrent duplicates record once", async () => {
    const id = await newOrder();
    expect((await ack(id, { status: 'applied' }, api.keys['isp-b'])).statusCode).toBe(404);
    const takedown = await newOrder('isp-a', 'takedown');
    const res = await ack(takedown, { status: 'applied' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'MOD_ERR_API_NOT_FOUND' } });

    const answers = await Promise.all([1, 2, 3].map(() => ack(id, { status: 'applied' })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201]);
    expect((await history(id)).map(([status]) => status)).toEqual(['issued', 'actioned']);
    expect(await orderEventMessages(id)).toHaveLength(1);
  });

  it('tells the authority that confirmed an automatic request, as the order routes do', async () => {
    // An automatic (policy) request has no issuer: the authority that confirmed it answers for it.
    const id = await openTestOrder(api.world, {
      kind: 'blocking',
      subjectType: 'url',
      subjectValue: `http://blocked.example/${randomBytes(6).toString('hex')}`,
      targetTenantId: 'isp-a',
    });
    await setWebhookEndpoint(api.db, { tenantId: 'auth-1', url: 'https://auth-1.example/hook' });
    const confirmed = await api.call(api.keys.authority, 'POST', `/v1/orders/${id}/confirm`, {});
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect((await ack(id, { status: 'failed', reason: 'resolver rejected the zone' })).statusCode).toBe(201);
    expect((await ack(id, { status: 'applied' })).statusCode).toBe(201);
    const { rows } = await api.db.query<{ tenant_id: string; event: string }>(
      `select tenant_id, event from webhook_deliveries where order_id = $1 order by created_at, id`,
      [id],
    );
    expect(rows).toEqual([
      { tenant_id: 'auth-1', event: 'action-failed' },
      { tenant_id: 'auth-1', event: 'actioned' },
    ]);
  });

  it('audits each acknowledgement in the name of the credential that sent it, as other order records do', async () => {
    const id = await newOrder();
    const me = await api.call(api.keys['isp-a'], 'GET', '/v1/me');
    const keyId = me.json<{ credentialId: string }>().credentialId;
    expect((await ack(id, { status: 'failed', reason: 'resolver rejected the zone' })).statusCode).toBe(201);
    expect((await ack(id, { status: 'applied' })).statusCode).toBe(201);
    const records = (await listAudit(api.db, { subjectId: id })).filter((a) => a.role === 'isp');
    expect(records.map((r) => [r.action, r.actor, r.tenantId])).toEqual([
      ['order.apply_failed', { kind: 'user', id: keyId }, 'isp-a'],
      ['order.applied', { kind: 'user', id: keyId }, 'isp-a'],
    ]);
    const evidence = async (seq: number) =>
      Object.fromEntries(
        (
          await api.db.query<{ name: string; document: string }>(
            `select name, document from audit_evidence where seq = $1`,
            [seq],
          )
        ).rows.map((r) => [r.name, JSON.parse(r.document) as unknown]),
      );
    const credential = { kind: 'api-key', id: keyId };
    expect(await Promise.all(records.map((r) => evidence(r.seq)))).toEqual([
      { credential, from: 'issued', to: 'reopened', event: 'action-failed' },
      { credential, from: 'reopened', to: 'actioned', event: 'actioned' },
    ]);
  });
});
