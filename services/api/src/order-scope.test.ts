import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { getOrder, type Order, type OrderStatsReport } from '@mod/db/orders';
import { insertSubmission } from '@mod/db/submissions';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

/**
 * Which orders an authority sees through the API: the ones its tenant issued or confirmed, and automatic orders
 * no authority has confirmed yet. Another authority's order answers 404 on every route, as if it did not exist.
 */

const notFound = (res: LightMyRequestResponse) => {
  expect(res.statusCode, res.body).toBe(404);
  expect(res.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_NOT_FOUND');
};
const listed = async (key: string) => {
  const res = await api.call(key, 'GET', '/v1/orders?limit=100');
  expect(res.statusCode).toBe(200);
  return res.json<{ orders: Order[] }>().orders.map((o) => o.id);
};
const byHand = async (key: string, target: string) => {
  const res = await api.call(key, 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: target,
    subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
    legalBasisId: 'vn-decree-147-request',
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>();
};
const automatic = (target: string, submissionId: string | null = null) =>
  openTestOrder(api.world, { targetTenantId: target, submissionId });

const api = useCallersWorld(castCallers('authA', 'authB', 'reviewer', 'platA', 'platB', 'admin'));

describe('orders an authority sees', () => {
  it('never reads, lists or commands an order another authority issued (404), but its own', async () => {
    const ofB = await byHand(api.keys.authB, 'plat-b');
    notFound(await api.call(api.keys.authA, 'GET', `/v1/orders/${ofB.id}`));
    notFound(await api.call(api.keys.authA, 'GET', `/v1/orders/${ofB.id}/deliveries`));
    expect(await listed(api.keys.authA)).not.toContain(ofB.id);
    for (const [action, body] of [
      ['confirm', {}],
      ['extend', { hours: 1, reason: 'more time' }],
      ['pause', { reason: 'clarify' }],
      ['withdraw', { reason: 'not mine to withdraw' }],
    ] as const)
      notFound(await api.call(api.keys.authA, 'POST', `/v1/orders/${ofB.id}/${action}`, body));
    notFound(await api.call(api.keys.authA, 'POST', `/v1/orders/${ofB.id}/resume`));
    // Untouched by all of that, and still B's.
    const asB = await api.call(api.keys.authB, 'GET', `/v1/orders/${ofB.id}`);
    expect(asB.statusCode).toBe(200);
    expect(asB.json<Order>()).toMatchObject({
      status: 'issued',
      confirmedAt: null,
      deadlineAt: ofB.deadlineAt,
      clock: { pausedAt: null },
      history: [{ status: 'issued' }],
    });
    expect(await listed(api.keys.authB)).toContain(ofB.id);
    // The target and oversight see it as before.
    expect((await api.call(api.keys.platB, 'GET', `/v1/orders/${ofB.id}`)).statusCode).toBe(200);
    expect((await api.call(api.keys.reviewer, 'GET', `/v1/orders/${ofB.id}`)).statusCode).toBe(200);
  });

  it('lets every authority see and confirm an automatic order until one confirms it; then it is the confirmer’s', async () => {
    const id = await automatic('plat-a');
    expect((await api.call(api.keys.authA, 'GET', `/v1/orders/${id}`)).json<Order>().confirmedAt).toBeNull();
    expect(await listed(api.keys.authA)).toContain(id);
    expect(await listed(api.keys.authB)).toContain(id);

    const confirmed = await api.call(api.keys.authB, 'POST', `/v1/orders/${id}/confirm`, {});
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json<Order>()).toMatchObject({ confirmedByTenantId: 'auth-b' });
    expect(confirmed.json<Order>().confirmedBy).toMatch(/^authority:auth-b:/);

    // The confirming authority keeps it (reads, lists, steers it); the other no longer sees it.
    expect((await api.call(api.keys.authB, 'GET', `/v1/orders/${id}`)).statusCode).toBe(200);
    expect(await listed(api.keys.authB)).toContain(id);
    const paused = await api.call(api.keys.authB, 'POST', `/v1/orders/${id}/pause`, { reason: 'clarify' });
    expect(paused.statusCode, paused.body).toBe(200);
    notFound(await api.call(api.keys.authA, 'GET', `/v1/orders/${id}`));
    expect(await listed(api.keys.authA)).not.toContain(id);
    notFound(await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/confirm`, {}));
    notFound(await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/resume`));
  });

  it('keeps seeing an order it issued after another party changed it', async () => {
    const own = await byHand(api.keys.authA, 'plat-a');
    expect((await api.call(api.keys.platA, 'POST', `/v1/orders/${own.id}/acknowledge`)).statusCode).toBe(200);
    const read = await api.call(api.keys.authA, 'GET', `/v1/orders/${own.id}`);
    expect(read.json<Order>()).toMatchObject({ status: 'acknowledged', issuerTenantId: 'auth-a' });
    notFound(await api.call(api.keys.authB, 'GET', `/v1/orders/${own.id}`));
  });

  it('computes statistics over the same orders it sees', async () => {
    // plat-b gets only B's orders: A must not hear of that platform at all.
    await byHand(api.keys.authB, 'plat-b');
    const stats = async (key: string) => {
      const res = await api.call(key, 'GET', '/v1/order-stats');
      expect(res.statusCode, res.body).toBe(200);
      return res.json<OrderStatsReport>();
    };
    const seenByA = await listed(api.keys.authA);
    const a = await stats(api.keys.authA);
    expect(a.overall.received).toBe(seenByA.length);
    expect(a.byTarget.map((t) => t.targetTenantId)).toEqual(['plat-a']);
    const b = await stats(api.keys.authB);
    expect(b.overall.received).toBe((await listed(api.keys.authB)).length);
    expect(b.byTarget.map((t) => t.targetTenantId)).toContain('plat-b');
    const all = await stats(api.keys.reviewer);
    expect(all.overall.received).toBe((await listed(api.keys.reviewer)).length);
    expect(all.overall.received).toBeGreaterThan(Math.max(a.overall.received, b.overall.received));
  });
});

describe('order answers', () => {
  it('carry every field of the stored order: the response schema drops nothing', async () => {
    const order = await byHand(api.keys.authA, 'plat-a');
    await api.call(api.keys.authA, 'POST', `/v1/orders/${order.id}/confirm`, { note: 'checked' });
    await api.call(api.keys.authA, 'POST', `/v1/orders/${order.id}/pause`, { reason: 'clarify' });
    const at = new Date();
    const stored = JSON.parse(JSON.stringify(await getOrder(api.db, order.id, { all: true }, at))) as Order;
    const one = (await api.call(api.keys.authA, 'GET', `/v1/orders/${order.id}`)).json<Order>();
    const inList = (await api.call(api.keys.authA, 'GET', '/v1/orders?limit=100'))
      .json<{ orders: Order[] }>()
      .orders.find((o) => o.id === order.id);
    for (const answer of [one, inList]) {
      expect(Object.keys(answer ?? {}).sort()).toEqual(Object.keys(stored).sort());
      expect(answer).toEqual(stored);
    }
    expect(one).toMatchObject({
      confirmedByTenantId: 'auth-a',
      issuer: { kind: 'authority', id: 'auth-a' },
      evidence: { policyVersion: 'manual:vn-decree-147-request' },
      history: [{ status: 'issued' }, { status: 'confirmed' }, { status: 'paused', note: 'clarify' }],
    });
  });
});

describe('submissions an authority sees', () => {
  it('reads a submission behind an order it may see, with only those orders; any other answers 404', async () => {
    const submitted = async () => {
      const id = randomUUID();
      await insertSubmission(api.db, {
        id,
        tenantId: 'plat-a',
        source: 'api',
        sha256: 'b'.repeat(64),
      });
      return id;
    };
    const read = (key: string, id: string) => api.call(key, 'GET', `/v1/submissions/${id}`);
    const orderIds = async (key: string, id: string) => {
      const res = await read(key, id);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ orderIds: string[] }>().orderIds;
    };

    // No order: only the submitter and oversight see it.
    const quiet = await submitted();
    notFound(await read(api.keys.authA, quiet));
    notFound(await read(api.keys.platB, quiet));
    expect(await orderIds(api.keys.platA, quiet)).toEqual([]);
    expect(await orderIds(api.keys.reviewer, quiet)).toEqual([]);

    // An automatic order awaiting confirmation: every authority sees it, so both see its evidence.
    const flagged = await submitted();
    const pending = await automatic('plat-a', flagged);
    expect(await orderIds(api.keys.authA, flagged)).toEqual([pending]);
    expect(await orderIds(api.keys.authB, flagged)).toEqual([pending]);

    // Once authority B confirms it, A no longer sees the order, nor the submission behind it.
    expect((await api.call(api.keys.authB, 'POST', `/v1/orders/${pending}/confirm`, {})).statusCode).toBe(
      200,
    );
    notFound(await read(api.keys.authA, flagged));
    expect(await orderIds(api.keys.authB, flagged)).toEqual([pending]);

    // A second, automatic order on it: A sees the submission again, but only that order's id.
    const second = await automatic('plat-a', flagged);
    expect(await orderIds(api.keys.authA, flagged)).toEqual([second]);
    expect(await orderIds(api.keys.authB, flagged)).toEqual([pending, second]);
    expect(await orderIds(api.keys.platA, flagged)).toEqual([pending, second]);
    expect(await orderIds(api.keys.reviewer, flagged)).toEqual([pending, second]);
    notFound(await read(api.keys.platB, flagged));
  });
});

describe('a submission named in an order', () => {
  const submitted = async (tenantId = 'plat-a') => {
    const id = randomUUID();
    await insertSubmission(api.db, { id, tenantId, source: 'api', sha256: 'c'.repeat(64) });
    return id;
  };
  const naming = (key: string, submissionId: string) =>
    api.call(key, 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'plat-b',
      subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
      legalBasisId: 'vn-decree-147-request',
      submissionId,
    });

  it('must be one the issuer may already read; any other answers exactly as a submission that does not exist', async () => {
    const secret = await submitted();
    const unknown = randomUUID();
    const refused = await naming(api.keys.authA, secret);
    const absent = await naming(api.keys.authA, unknown);
    notFound(refused);
    expect([refused.statusCode, refused.body]).toEqual([
      absent.statusCode,
      absent.body.replace(unknown, secret),
    ]);
    // Naming it opened nothing: the authority still cannot read it, and its owner lists no order on it.
    notFound(await api.call(api.keys.authA, 'GET', `/v1/submissions/${secret}`));
    const owned = await api.call(api.keys.platA, 'GET', `/v1/submissions/${secret}`);
    expect(owned.json<{ orderIds: string[] }>().orderIds).toEqual([]);
    expect((await api.db.query('select 1 from orders where submission_id = $1', [secret])).rowCount).toBe(0);

    // The evidence of an order the authority sees (an automatic order awaiting confirmation) it may name.
    const flagged = await submitted();
    const pending = await automatic('plat-a', flagged);
    const named = await naming(api.keys.authA, flagged);
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json<Order>().submissionId).toBe(flagged);
    // Oversight may name any submission that exists, and no other.
    expect((await naming(api.keys.admin, secret)).statusCode).toBe(201);
    notFound(await naming(api.keys.admin, randomUUID()));
    expect(await listed(api.keys.authA)).toContain(pending);
  });
});

describe('order commands without fields', () => {
  const empty = (key: string, url: string, headers: Record<string, string> = {}) =>
    api.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(headers['content-type'] ? { payload: '' } : {}),
    });

  it('take no body, an empty body or {} alike when every field is optional (confirm)', async () => {
    for (const send of [
      (id: string) => empty(api.keys.authA, `/v1/orders/${id}/confirm`),
      (id: string) =>
        empty(api.keys.authA, `/v1/orders/${id}/confirm`, { 'content-type': 'application/json' }),
      (id: string) => api.call(api.keys.authA, 'POST', `/v1/orders/${id}/confirm`, {}),
    ]) {
      const id = await automatic('plat-a');
      const res = await send(id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Order>()).toMatchObject({
        confirmedByTenantId: 'auth-a',
        history: [{}, { status: 'confirmed', note: null }],
      });
    }
    // A note is still taken, and a field the route does not know is still refused.
    const id = await automatic('plat-a');
    const noted = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/confirm`, { note: 'checked' });
    expect(noted.statusCode, noted.body).toBe(200);
    expect((await listAudit(api.db, { subjectId: id })).at(-1)).toMatchObject({
      action: 'order.confirmed',
      reason: 'checked',
    });
    const other = await automatic('plat-a');
    const unknown = await api.call(api.keys.authA, 'POST', `/v1/orders/${other}/confirm`, { notes: 'x' });
    expect([unknown.statusCode, unknown.json<{ error: { code: string } }>().error.code]).toEqual([
      400,
      'MOD_ERR_API_UNKNOWN_FIELD',
    ]);
  });

  it('answer the command, not the empty body, on the other command routes', async () => {
    const own = await byHand(api.keys.authA, 'plat-a');
    const json = { 'content-type': 'application/json' };
    // Routes without fields: an empty JSON body is no body.
    const ack = await empty(api.keys.platA, `/v1/orders/${own.id}/acknowledge`, json);
    expect(ack.statusCode, ack.body).toBe(200);
    const resume = await empty(api.keys.authA, `/v1/orders/${own.id}/resume`, json);
    expect([resume.statusCode, resume.json<{ error: { code: string } }>().error.code]).toEqual([
      409,
      'MOD_ERR_API_CONFLICT',
    ]);
    // Routes with a required field: the missing field is the answer.
    for (const action of ['extend', 'pause', 'withdraw']) {
      for (const headers of [{}, json]) {
        const res = await empty(api.keys.authA, `/v1/orders/${own.id}/${action}`, headers);
        expect([res.statusCode, res.json<{ error: { code: string } }>().error.code], action).toEqual([
          400,
          'MOD_ERR_API_VALIDATION',
        ]);
      }
    }
  });
});
