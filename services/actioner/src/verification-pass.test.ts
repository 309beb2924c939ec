import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandOrder, getOrder, openOrder } from '@mod/db/orders';
import { testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import type { LifecycleOptions } from './lifecycle.js';
import { platformTestSchema, testLifecycle } from './lifecycle.test-helper.js';
import { createSafeBodyFetcher } from './safe-verifier.js';
import { createFetchVerifier } from './verifier.js';

// A platform that actioned its orders, then serves their URLs from a host that takes the request and never
// answers: each check waits out the fetch timeout and says nothing. Traffic stays on loopback.
let db: TestDatabase;
let tarpit: Server;
let gone: Server;
const url = (s: Server, path: string) => `http://127.0.0.1:${(s.address() as AddressInfo).port}${path}`;
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));
const TIMEOUT_MS = 250;

beforeAll(async () => {
  db = await platformTestSchema();
  tarpit = createServer(() => undefined);
  gone = createServer((_req, res) => res.writeHead(404).end());
  for (const s of [tarpit, gone]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of [tarpit, gone]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await db?.drop();
});

const lifecycle = (more: Partial<LifecycleOptions> = {}) =>
  testLifecycle(db.pool, clock, {
    verifier: createFetchVerifier(
      createSafeBodyFetcher({ addressPolicy: () => 'allow', timeoutMs: TIMEOUT_MS }),
    ),
    ...more,
  });

/** A takedown the platform says it actioned, whose content is checked at `verifyUrl`. */
async function actioned(verifyUrl: string): Promise<string> {
  const order = await openOrder(
    db.pool,
    testOrder({
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: `https://plat.example/${randomBytes(6).toString('hex')}`,
      targetTenantId: 'plat',
      deadlineAt: new Date(clock.now().getTime() + 86_400_000),
      verifyUrl,
    }),
  );
  for (const command of [{ type: 'acknowledge' }, { type: 'action', note: 'removed' }] as const) {
    const done = await commandOrder(db.pool, {
      id: order.id,
      scope: { all: true },
      command,
      now: clock.now(),
      actor: 'plat',
    });
    expect(done.ok).toBe(true);
  }
  clock.advance(1_000);
  return order.id;
}
const attempts = async (ids: readonly string[]) =>
  (
    await db.pool.query<{ n: number }>(
      'select verify_attempts as n from orders where id = any($1) order by n',
      [ids],
    )
  ).rows.map((r) => r.n);
const drainDue = async () => {
  // Every order earlier tests left due is postponed far ahead, so each test sees its own orders only.
  await db.pool.query(`update orders set verify_after = '3000-01-01' where status = 'actioned'`);
};

describe('re-fetching actioned orders', () => {
  it('tries an inconclusive one again later, not first at every pass, so the others are verified', async () => {
    await drainDue();
    const stuck = [
      await actioned(url(tarpit, '/a')),
      await actioned(url(tarpit, '/b')),
      await actioned(url(tarpit, '/c')),
    ];
    const removed = await actioned(url(gone, '/d'));
    const run = lifecycle({ batchSize: 2 });
    expect(await run.runVerification()).toEqual({ verified: 0, reopened: 0 });
    expect(await run.runVerification()).toEqual({ verified: 1, reopened: 0 });
    expect((await getOrder(db.pool, removed, { all: true }))?.status).toBe('verified');
    // Each stuck one was tried once and waits (ten minutes at least) before its next try.
    expect(await attempts(stuck)).toEqual([1, 1, 1]);
    expect(await run.runVerification()).toEqual({ verified: 0, reopened: 0 });
    expect(await attempts(stuck)).toEqual([1, 1, 1]);
    clock.advance(20 * 60_000);
    await run.runVerification();
    expect(await attempts(stuck)).toEqual([1, 2, 2]);
  });

  it('starts no new check once the pass has spent its time, leaving the rest to the next pass', async () => {
    await drainDue();
    const stuck: string[] = [];
    for (let i = 0; i < 6; i++) stuck.push(await actioned(url(tarpit, `/slow-${i}`)));
    const run = lifecycle({ verification: { passBudgetMs: 2 * TIMEOUT_MS } });
    await run.runVerification();
    // Each check waits out the timeout: within the budget, at most the checks that start before it ends.
    const tried = (await attempts(stuck)).filter((n) => n > 0).length;
    expect(tried).toBeGreaterThanOrEqual(1);
    expect(tried).toBeLessThanOrEqual(3);
    await run.runVerification();
    expect((await attempts(stuck)).filter((n) => n > 0).length).toBeGreaterThan(tried);
  });
});
