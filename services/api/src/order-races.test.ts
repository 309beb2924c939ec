import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { getOrder, type Order } from '@mod/db/orders';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { openTestOrder } from './testing.test-helper.js';

/**
 * Order commands as an attacker holding some partner's or authority's key sends them: to an order of another
 * tenant or of the wrong kind, with the wrong role, out of order, all at once, and with a cursor crafted to reach
 * past its own orders. Each is refused with its typed answer, and a race changes the order once, audited once.
 */

const api = useCallersWorld(castCallers('authA', 'authB', 'platA', 'platB', 'ispA'));

const code = (res: LightMyRequestResponse) => [
  res.statusCode,
  res.json<{ error?: { code: string } }>().error?.code,
];
const VALIDATION = [400, 'MOD_ERR_API_VALIDATION'];
/** Authority A's takedown of a new URL for `target`, issued by hand (with `more`, e.g. its deadline). */
const issue = (target: string, more: object = {}) =>
  api.call(api.keys.authA, 'POST', '/v1/orders', {
    kind: 'takedown',
    targetTenantId: target,
    subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
    legalBasisId: 'vn-decree-147-request',
    ...more,
  });
const byHand = async (target = 'plat-a') => {
  const res = await issue(target);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Order>().id;
};
/** A list cursor by hand, as the API writes one (base64url of `time|id`), with any time and id. */
const pageCursor = (at: string, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');
const auditActions = async (id: string) => (await listAudit(api.db, { subjectId: id })).map((a) => a.action);
const historyOf = async (id: string) =>
  (await getOrder(api.db, id, { all: true }))!.history.map((h) => h.status);
/**
 * An order by hand, once `deadlineAt` was refused as invalid input (never with 500) both for an order issued with it
 * and for that order's extension to it: the order stays as issued.
 */
async function afterRefusedDeadline(deadlineAt: string): Promise<string> {
  expect(code(await issue('plat-a', { deadlineAt }))).toEqual(VALIDATION);
  const id = await byHand('plat-a');
  const extended = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/extend`, {
    deadlineAt,
    reason: 'more time',
  });
  expect(code(extended)).toEqual(VALIDATION);
  expect(await historyOf(id)).toEqual(['issued']);
  return id;
}

describe('order commands from the wrong caller', () => {
  it('are 404 for another target or the wrong kind of target, 403 for the wrong role; nothing changes', async () => {
    const id = await byHand('plat-a');
    const NOT_FOUND = [404, 'MOD_ERR_API_NOT_FOUND'];
    for (const key of [api.keys.platB, api.keys.ispA]) {
      expect(code(await api.call(key, 'POST', `/v1/orders/${id}/acknowledge`))).toEqual(NOT_FOUND);
      expect(code(await api.call(key, 'POST', `/v1/orders/${id}/actioned`, { note: 'done' }))).toEqual(
        NOT_FOUND,
      );
      expect(code(await api.call(key, 'POST', `/v1/orders/${id}/dispute`, { reason: 'no' }))).toEqual(
        NOT_FOUND,
      );
    }
    // An ISP's acknowledgement route reaches blocking requests only.
    const viaIspRoute = await api.call(
      api.keys.ispA,
      'POST',
      `/v1/isp/blocking-requests/${id}/acknowledgements`,
      { status: 'applied' },
    );
    expect(code(viaIspRoute)).toEqual(NOT_FOUND);
    // A target never steers its order; an authority never answers for the target; another authority is 404.
    const FORBIDDEN = 403;
    expect(
      (await api.call(api.keys.platA, 'POST', `/v1/orders/${id}/withdraw`, { reason: 'x' })).statusCode,
    ).toBe(FORBIDDEN);
    expect((await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/acknowledge`)).statusCode).toBe(
      FORBIDDEN,
    );
    expect(
      code(await api.call(api.keys.authB, 'POST', `/v1/orders/${id}/withdraw`, { reason: 'x' })),
    ).toEqual(NOT_FOUND);
    expect(await historyOf(id)).toEqual(['issued']);
    expect(await auditActions(id)).toEqual(['order.issued']);
  });

  it('are 409 once the order is withdrawn, whoever sends them', async () => {
    const id = await byHand('plat-a');
    const withdrawn = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/withdraw`, {
      reason: 'mistake',
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const CONFLICT = [409, 'MOD_ERR_API_CONFLICT'];
    expect(code(await api.call(api.keys.platA, 'POST', `/v1/orders/${id}/acknowledge`))).toEqual(CONFLICT);
    expect(code(await api.call(api.keys.platA, 'POST', `/v1/orders/${id}/actioned`, { note: 'x' }))).toEqual(
      CONFLICT,
    );
    for (const [verb, body] of [
      ['withdraw', { reason: 'again' }],
      ['pause', { reason: 'clarify' }],
      ['extend', { hours: 1, reason: 'more' }],
      ['confirm', {}],
    ] as const)
      expect(code(await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/${verb}`, body))).toEqual(
        CONFLICT,
      );
    expect(await historyOf(id)).toEqual(['issued', 'withdrawn']);
  });
});

describe('concurrent commands on one order', () => {
  it('let one of eight simultaneous acknowledgements through: one event, one audit record', async () => {
    const id = await byHand('plat-a');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api.call(api.keys.platA, 'POST', `/v1/orders/${id}/acknowledge`)),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await historyOf(id)).toEqual(['issued', 'acknowledged']);
    expect((await auditActions(id)).filter((a) => a === 'order.acknowledged')).toHaveLength(1);
  });

  it('let one of two authorities confirming an automatic order at once have it; the other is told it is gone', async () => {
    const id = await openTestOrder(api.world, { targetTenantId: 'plat-b' });
    const [a, b] = await Promise.all([
      api.call(api.keys.authA, 'POST', `/v1/orders/${id}/confirm`, {}),
      api.call(api.keys.authB, 'POST', `/v1/orders/${id}/confirm`, {}),
    ]);
    const answers = [a, b].map((r) => r.statusCode).sort();
    // The loser's row no longer matches its scope once the winner commits (404), or it read it confirmed (409).
    expect(answers[0]).toBe(200);
    expect([404, 409]).toContain(answers[1]);
    const order = await getOrder(api.db, id, { all: true });
    expect(order?.history.map((h) => h.status)).toEqual(['issued', 'confirmed']);
    expect((await auditActions(id)).filter((x) => x === 'order.confirmed')).toHaveLength(1);
    const winner = a.statusCode === 200 ? 'auth-a' : 'auth-b';
    expect(order?.confirmedByTenantId).toBe(winner);
  });
});

describe('an extension by hours racing another command', () => {
  it('adds the hours to the deadline as it stands when the extension applies, not as read before', async () => {
    const id = await byHand('plat-a');
    const before = await getOrder(api.db, id, { all: true });
    const moved = new Date(Date.parse(before!.deadlineAt) + 24 * 3_600_000);
    // Another command (say a resume after a day's pause) holds the order and moves its deadline on, uncommitted,
    // while the extension arrives: the extension waits for the lock, then applies to the moved deadline.
    const other = await api.db.connect();
    try {
      await other.query('begin');
      await other.query(`update orders set deadline_at = $2 where id = $1`, [id, moved]);
      const extending = api.call(api.keys.authA, 'POST', `/v1/orders/${id}/extend`, {
        hours: 2,
        reason: 'more',
      });
      for (let waited = 0; waited < 100; waited++) {
        const { rows } = await api.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where wait_event_type = 'Lock' and state = 'active' and query like '%orders:lock-order%'`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await other.query('commit');
      const res = await extending;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Order>().deadlineAt).toBe(new Date(moved.getTime() + 2 * 3_600_000).toISOString());
    } finally {
      other.release();
    }
  });
});

describe('listing orders with a crafted cursor or filter', () => {
  it('never reaches past the caller’s own orders', async () => {
    const ofA = await byHand('plat-a');
    const ofB = await byHand('plat-b');
    const stored = await getOrder(api.db, ofB, { all: true });
    // A cursor just after plat-b's order, and one at the start of time: plat-a still lists its own only.
    for (const at of [stored!.createdAt, '2099-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z']) {
      const cursor = pageCursor(at, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
      const res = await api.call(api.keys.platA, 'GET', `/v1/orders?limit=100&cursor=${cursor}`);
      expect(res.statusCode, res.body).toBe(200);
      const ids = res.json<{ orders: Order[] }>().orders.map((o) => o.id);
      expect(ids).not.toContain(ofB);
      for (const o of res.json<{ orders: Order[] }>().orders) expect(o.targetTenantId).toBe('plat-a');
    }
    const injected = pageCursor("2026-01-01' or 1=1 --", ofB);
    expect(code(await api.call(api.keys.platA, 'GET', `/v1/orders?cursor=${injected}`))).toEqual([
      400,
      'MOD_ERR_API_BAD_CURSOR',
    ]);
    // Cursors JavaScript reads but the database cannot (36 dashes for an id, a year out of its range, a time
    // only JavaScript parses, month 13): refused as cursors, never a query failing with 500.
    for (const [at, id] of [
      [stored!.createdAt, '------------------------------------'],
      ['-271821-04-20T00:00:00.000Z', ofB],
      ['+275760-09-13T00:00:00.000Z', ofB],
      ['Jan 1 2020 (x)', ofB],
      ['2026-13-01T00:00:00.000Z', ofB],
    ] as const) {
      const cursor = pageCursor(at, id);
      expect(code(await api.call(api.keys.platA, 'GET', `/v1/orders?cursor=${cursor}`))).toEqual([
        400,
        'MOD_ERR_API_BAD_CURSOR',
      ]);
    }
    // Filtering by another tenant's submission or status shows nothing of it.
    const all = await api.call(api.keys.platA, 'GET', '/v1/orders?limit=100&status=issued&kind=takedown');
    expect(all.json<{ orders: Order[] }>().orders.map((o) => o.id)).toContain(ofA);
    expect(all.json<{ orders: Order[] }>().orders.map((o) => o.id)).not.toContain(ofB);
  });
});

describe('timestamps an authority sends', () => {
  it('refuses a leap second (valid RFC 3339, no JavaScript date) as invalid input, never with 500', async () => {
    const leap = '2030-06-30T23:59:60Z';
    const id = await afterRefusedDeadline(leap);
    expect(code(await api.call(api.keys.authA, 'GET', `/v1/order-stats?since=${leap}`))).toEqual(VALIDATION);
    // The second before it is an ordinary time.
    const fine = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/extend`, {
      deadlineAt: '2030-06-30T23:59:59Z',
      reason: 'more time',
    });
    expect(fine.statusCode, fine.body).toBe(200);
  });

  it('refuses a deadline past ten years ahead (9999-12-31, a "no deadline" sentinel) that later commands could not carry', async () => {
    const id = await afterRefusedDeadline('9999-12-31T23:59:59Z');
    // Ten years less a day is an ordinary deadline; 90 days more by hours is past the horizon.
    const nearHorizon = new Date(Date.now() + (3652 - 1) * 86_400_000).toISOString();
    const extended = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/extend`, {
      deadlineAt: nearHorizon,
      reason: 'long',
    });
    expect(extended.statusCode, extended.body).toBe(200);
    expect(
      code(await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/extend`, { hours: 2160, reason: 'x' })),
    ).toEqual(VALIDATION);
    // Every command still applies to the order: a pause and its resume (the one that failed with 500 at 9999).
    for (const [verb, body] of [
      ['pause', { reason: 'clarify' }],
      ['resume', undefined],
    ] as const) {
      const res = await api.call(api.keys.authA, 'POST', `/v1/orders/${id}/${verb}`, body);
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(await historyOf(id)).toEqual(['issued', 'deadline-extended', 'paused', 'resumed']);
  });
});
