import { PartnerTopics } from '@mod/contracts';
import { FOLD_ACTOR } from '@mod/orders';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { listWantedBlocklist } from '@mod/db/feeds';
import { listOrdersDue, type Order } from '@mod/db/orders';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * Folding (issue 17, finding 3): a second authority's order for a subject an open order already covers is kept
 * as its own request, folded into that order. Neither authority reads the other's note, evidence, issuer or
 * history; the status code is 201 either way; the target gets one order; only withdrawal applies to a folded
 * request; a folded request's deadline binds the shared order; withdrawing the shared order promotes it.
 */
const HOUR_MS = 3_600_000;

const ok = <T>(res: LightMyRequestResponse, status = 200): T => {
  expect(res.statusCode, res.body).toBe(status);
  return res.json<T>();
};
const code = statusAndCode;
const subject = () => ({ type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` });
const issue = (key: string, s: { type: string; value: string }, extra: Record<string, unknown> = {}) =>
  api.call(key, 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: 'plat-a',
    subject: s,
    legalBasisId: 'vn-decree-147-request',
    ...extra,
  });
const listed = async (key: string) =>
  ok<{ orders: Order[] }>(await api.call(key, 'GET', '/v1/orders?limit=100')).orders.map((o) => o.id);
/** Messages the API queued for the target about a subject (takedown requests) or an order (order events). */
const takedownsFor = async (value: string) =>
  (
    await api.db.query<{ payload: { orderId: string } }>(
      `select payload from outbox where starts_with(topic, $1) and payload #>> '{subject,value}' = $2 order by id`,
      [`${api.world.prefix}${PartnerTopics.takedownRequests}.`, value],
    )
  ).rows.map((r) => r.payload.orderId);
const orderEventsFor = async (orderId: string) =>
  (
    await api.db.query<{ payload: { event: string; actor: string; note: string | null } }>(
      `select payload from outbox where starts_with(topic, $1) and payload ->> 'orderId' = $2 order by id`,
      [`${api.world.prefix}${PartnerTopics.orderEvents}.`, orderId],
    )
  ).rows.map((r) => r.payload);

const api = useCallersWorld(castCallers('authA', 'authB', 'authC', 'admin', 'platA', 'ispA'));

describe('a second authority ordering what an open order covers', () => {
  it('gets its own request (201, its own fields), and never sees the first order, nor the first its request', async () => {
    const s = subject();
    const first = ok<Order>(await issue(api.keys.authA, s, { note: 'A: seen on the 3rd, ref A-17' }), 201);
    const res = await issue(api.keys.authB, s, {
      note: 'B: tip from hotline, ref B-99',
      legalBasisId: 'eu-tco',
    });
    // The same status code as a fresh order: whether another order covered the subject is not told by it.
    const mine = ok<Order>(res, 201);
    expect(mine.id).not.toBe(first.id);
    expect(mine).toMatchObject({
      kind: 'takedown',
      subject: s,
      targetTenantId: 'plat-a',
      issuer: { kind: 'authority', id: 'auth-b' },
      issuerTenantId: 'auth-b',
      legalBasis: expect.stringContaining('TCO') as string,
      evidence: { note: 'B: tip from hotline, ref B-99', policyVersion: 'manual:eu-tco' },
      policyVersion: 'manual:eu-tco',
      confirmedBy: null,
      confirmedByTenantId: null,
      folded: true,
      foldedInto: null,
      history: [
        { status: 'issued', actor: expect.stringMatching(/^authority:auth-b:/) as string, note: null },
      ],
    });
    for (const leak of [first.id, 'A: seen on the 3rd', 'auth-a', first.legalBasis])
      expect(res.body).not.toContain(leak);
    // The answer has exactly the fields of a fresh order.
    expect(Object.keys(mine).sort()).toEqual(Object.keys(first).sort());
    // Its stricter legal deadline (1 h) binds the shared order: B's request and A's order both show it.
    const oneHour = Date.parse(mine.issuedAt) + HOUR_MS;
    expect(Date.parse(mine.deadlineAt)).toBe(oneHour);

    // B reads its own request the same way; A's order does not exist for B, nor B's request for A.
    const again = ok<Order>(await api.call(api.keys.authB, 'GET', `/v1/orders/${mine.id}`));
    expect(again).toMatchObject({ id: mine.id, folded: true, foldedInto: null, evidence: mine.evidence });
    expect(code(await api.call(api.keys.authB, 'GET', `/v1/orders/${first.id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(code(await api.call(api.keys.authA, 'GET', `/v1/orders/${mine.id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(await listed(api.keys.authB)).toContain(mine.id);
    expect(await listed(api.keys.authB)).not.toContain(first.id);
    expect(await listed(api.keys.authA)).not.toContain(mine.id);

    // A's order: the deadline moved to the stricter one, by no authority's name; nothing of B's request.
    const asA = await api.call(api.keys.authA, 'GET', `/v1/orders/${first.id}`);
    const ofA = ok<Order>(asA);
    expect(Date.parse(ofA.deadlineAt)).toBe(oneHour);
    expect(ofA).toMatchObject({
      folded: false,
      foldedInto: null,
      evidence: { note: 'A: seen on the 3rd, ref A-17' },
    });
    expect(ofA.history.map((h) => [h.status, h.actor, h.note])).toEqual([
      ['issued', expect.stringMatching(/^authority:auth-a:/), null],
      ['deadline-shortened', 'service:order-folding', null],
    ]);
    for (const leak of [mine.id, 'B: tip', 'auth-b', 'TCO']) expect(asA.body).not.toContain(leak);

    // The target got one order, and was told of its new deadline (in no authority's name); B's request is not
    // an order to it.
    expect(await takedownsFor(s.value)).toEqual([first.id]);
    expect((await orderEventsFor(first.id)).map((e) => [e.event, e.actor, e.note])).toEqual([
      ['deadline-shortened', 'service:order-folding', null],
    ]);
    expect(await orderEventsFor(mine.id)).toEqual([]);
    expect(await listed(api.keys.platA)).toContain(first.id);
    expect(await listed(api.keys.platA)).not.toContain(mine.id);
    expect(code(await api.call(api.keys.platA, 'GET', `/v1/orders/${mine.id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);

    // Oversight sees both, and which order the request is folded into.
    expect(ok<Order>(await api.call(api.keys.admin, 'GET', `/v1/orders/${mine.id}`))).toMatchObject({
      folded: true,
      foldedInto: first.id,
      evidence: { note: 'B: tip from hotline, ref B-99' },
    });
    expect(await listed(api.keys.admin)).toEqual(expect.arrayContaining([first.id, mine.id]));

    // B's request is audited as its own, with its own note; the shared order's change in no authority's name.
    expect(
      (await listAudit(api.db, { subjectId: mine.id })).map((r) => [r.action, r.tenantId, r.reason]),
    ).toEqual([['order.folded', 'auth-b', 'B: tip from hotline, ref B-99']]);
    expect(
      (await listAudit(api.db, { subjectId: first.id })).map((r) => [r.action, r.actor, r.tenantId]),
    ).toEqual([
      ['order.issued', { kind: 'user', id: expect.any(String) as string }, 'auth-a'],
      ['order.deadline_shortened', { kind: 'service', id: 'order-folding' }, null],
    ]);
  });

  it('follows the shared order: the target’s answers show on the folded request, its own history does not', async () => {
    const s = subject();
    const first = ok<Order>(await issue(api.keys.authA, s), 201);
    const mine = ok<Order>(await issue(api.keys.authB, s, { note: 'B only' }), 201);
    // A later deadline does not move the shared order; the request shows the deadline that binds the target.
    expect(mine.deadlineAt).toBe(first.deadlineAt);
    expect(
      ok<Order>(
        await api.call(api.keys.platA, 'POST', `/v1/orders/${first.id}/dispute`, { reason: 'not ours' }),
      ).status,
    ).toBe('disputed');
    ok(
      await api.call(api.keys.platA, 'POST', `/v1/orders/${first.id}/actioned`, { note: 'removed at 10:02' }),
    );
    const view = ok<Order>(await api.call(api.keys.authB, 'GET', `/v1/orders/${mine.id}`));
    expect(view).toMatchObject({ status: 'actioned', folded: true, history: [{ status: 'issued' }] });
    expect(view.actionedAt).not.toBeNull();
    expect(JSON.stringify(view)).not.toContain('removed at 10:02');
    expect(await listed(api.keys.authB)).toContain(mine.id);
    const statusFiltered = ok<{ orders: Order[] }>(
      await api.call(api.keys.authB, 'GET', '/v1/orders?status=actioned&limit=100'),
    );
    expect(statusFiltered.orders.map((o) => o.id)).toContain(mine.id);
  });
});

describe('a folded blocking request', () => {
  it('is not an order to the ISP: not listed, not in its feed, not acknowledgeable', async () => {
    const url = `https://blocked.example/${randomBytes(6).toString('hex')}/page`;
    const blocking = { kind: 'blocking', targetTenantId: 'isp-a' };
    const first = ok<Order>(await issue(api.keys.authA, { type: 'url', value: url }, blocking), 201);
    const mine = ok<Order>(await issue(api.keys.authB, { type: 'url', value: url }, blocking), 201);
    expect(mine.folded).toBe(true);
    expect(await listed(api.keys.ispA)).toContain(first.id);
    expect(await listed(api.keys.ispA)).not.toContain(mine.id);
    const feed = await api.call(api.keys.ispA, 'GET', '/v1/isp/feeds/url-list');
    expect(feed.statusCode, feed.body).toBe(200);
    expect(feed.body.split(url.replace('https://', '')).length - 1).toBe(1);
    // One entry, the ISP's order (the URL would otherwise leave the feed with either order's end).
    const entries = (await listWantedBlocklist(api.db, 'isp-a')).map((e) => e.id);
    expect(entries).toContain(`order:${first.id}`);
    expect(entries).not.toContain(`order:${mine.id}`);
    const ack = await api.call(
      api.keys.ispA,
      'POST',
      `/v1/isp/blocking-requests/${mine.id}/acknowledgements`,
      {
        status: 'applied',
      },
    );
    expect(code(ack)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });
});

describe('commands on folded requests and shared orders', () => {
  it('only withdraws a folded request (409 MOD_ERR_API_ORDER_FOLDED otherwise); withdrawing it tells the target nothing', async () => {
    const s = subject();
    const first = ok<Order>(await issue(api.keys.authA, s), 201);
    const mine = ok<Order>(await issue(api.keys.authB, s, { legalBasisId: 'eu-tco' }), 201);
    for (const [action, body] of [
      ['confirm', undefined],
      ['extend', { hours: 1, reason: 'more time' }],
      ['pause', { reason: 'clarify' }],
      ['resume', undefined],
    ] as const)
      expect(
        code(await api.call(api.keys.authB, 'POST', `/v1/orders/${mine.id}/${action}`, body)),
        action,
      ).toEqual([409, 'MOD_ERR_API_ORDER_FOLDED']);
    // An admin cannot steer the shared order through the request either.
    expect(
      code(await api.call(api.keys.admin, 'POST', `/v1/orders/${mine.id}/extend`, { hours: 1, reason: 'x' })),
    ).toEqual([409, 'MOD_ERR_API_ORDER_FOLDED']);

    // While B's 1-hour request stands, A may neither push the deadline past it nor stop the clock.
    const later = new Date(Date.parse(mine.deadlineAt) + HOUR_MS).toISOString();
    expect(
      code(
        await api.call(api.keys.authA, 'POST', `/v1/orders/${first.id}/extend`, {
          deadlineAt: later,
          reason: 'x',
        }),
      ),
    ).toEqual([409, 'MOD_ERR_API_ORDER_BOUND']);
    expect(
      code(await api.call(api.keys.authA, 'POST', `/v1/orders/${first.id}/pause`, { reason: 'clarify' })),
    ).toEqual([409, 'MOD_ERR_API_ORDER_BOUND']);
    const before = (await orderEventsFor(first.id)).length;
    const withdrawn = ok<Order>(
      await api.call(api.keys.authB, 'POST', `/v1/orders/${mine.id}/withdraw`, { reason: 'B: mistake' }),
    );
    expect(withdrawn).toMatchObject({ id: mine.id, status: 'withdrawn', folded: true, foldedInto: null });
    expect(await orderEventsFor(mine.id)).toEqual([]);
    expect(await orderEventsFor(first.id)).toHaveLength(before);
    const ofA = await api.call(api.keys.authA, 'GET', `/v1/orders/${first.id}`);
    expect(ok<Order>(ofA).status).toBe('issued');
    expect(ofA.body).not.toContain('B: mistake');
    // The binding went with B's request: A steers its order freely again.
    expect(
      ok<Order>(
        await api.call(api.keys.authA, 'POST', `/v1/orders/${first.id}/extend`, {
          deadlineAt: later,
          reason: 'x',
        }),
      ).deadlineAt,
    ).toBe(later);
    expect(
      code(await api.call(api.keys.authB, 'POST', `/v1/orders/${mine.id}/withdraw`, { reason: 'again' })),
    ).toEqual([409, 'MOD_ERR_API_CONFLICT']);
  });

  it('a request folding into a paused order restarts its clock: its deadline binds, and falls due', async () => {
    const s = subject();
    const first = ok<Order>(await issue(api.keys.authA, s), 201);
    ok(await api.call(api.keys.authA, 'POST', `/v1/orders/${first.id}/pause`, { reason: 'clarify' }));
    const deadlineAt = new Date(Date.now() + HOUR_MS).toISOString();
    const mine = ok<Order>(await issue(api.keys.authB, s, { deadlineAt }), 201);
    // B's deadline is the shared order's, on a running clock: A's pause, which B cannot lift, no longer holds it.
    const shared = ok<Order>(await api.call(api.keys.admin, 'GET', `/v1/orders/${first.id}`));
    expect([shared.deadlineAt, shared.clock.pausedAt]).toEqual([deadlineAt, null]);
    expect(
      ok<Order>(await api.call(api.keys.authB, 'GET', `/v1/orders/${mine.id}`)).clock.pausedAt,
    ).toBeNull();
    expect((await orderEventsFor(first.id)).map((e) => [e.event, e.actor])).toEqual([
      ['paused', expect.stringContaining('auth-a')],
      ['resumed', FOLD_ACTOR],
      ['deadline-shortened', FOLD_ACTOR],
    ]);
    // Once B's deadline passes, the scheduler owes the shared order its escalation.
    const due = await listOrdersDue(api.db, new Date(Date.parse(deadlineAt) + 60_000), 10_000);
    expect(due).toContain(first.id);
  });

  it('withdrawing the shared order makes the folded request an order of its own, sent to the target', async () => {
    const s = subject();
    const first = ok<Order>(await issue(api.keys.authA, s, { note: 'A note' }), 201);
    const b = ok<Order>(await issue(api.keys.authB, s, { note: 'B note' }), 201);
    const c = ok<Order>(
      await issue(api.keys.authC, s, { note: 'C note', legalBasisId: 'vn-decree-147-complaint' }),
      201,
    );
    ok(
      await api.call(api.keys.authA, 'POST', `/v1/orders/${first.id}/withdraw`, {
        reason: 'A: withdrawn, secret reason',
      }),
    );

    // B's request (earliest deadline) stands now as B's own order to the target; C's folds into it.
    const promoted = await api.call(api.keys.authB, 'GET', `/v1/orders/${b.id}`);
    expect(ok<Order>(promoted)).toMatchObject({
      status: 'issued',
      folded: false,
      evidence: { note: 'B note' },
    });
    expect(ok<Order>(promoted).history.map((h) => h.status)).toEqual(['issued', 'promoted']);
    for (const leak of [first.id, 'A note', 'A: withdrawn', 'C note', c.id])
      expect(promoted.body).not.toContain(leak);
    expect(await takedownsFor(s.value)).toEqual([first.id, b.id]);
    expect(ok<Order>(await api.call(api.keys.platA, 'GET', `/v1/orders/${b.id}`)).issuerTenantId).toBe(
      'auth-b',
    );
    expect(ok<Order>(await api.call(api.keys.admin, 'GET', `/v1/orders/${c.id}`))).toMatchObject({
      folded: true,
      foldedInto: b.id,
    });
    expect(ok<Order>(await api.call(api.keys.authC, 'GET', `/v1/orders/${c.id}`))).toMatchObject({
      status: 'issued',
      folded: true,
    });
    expect((await listAudit(api.db, { subjectId: b.id })).map((r) => [r.action, r.actor.kind])).toEqual([
      ['order.folded', 'user'],
      ['order.promoted', 'service'],
    ]);
  });
});
