import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { getOrder, openOrder } from '@mod/db/orders';
import { createTestSchema, testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { answerActioned } from './order-answers.test-helper.js';
import { loopbackVerifier, testLifecycle } from './lifecycle.test-helper.js';

// A takedown answered actioned whose host answers our verifier 503 past its deadline and grace is escalated at its
// next check. Should that escalation fail (the database, for a moment), the order is escalated at the next pass, not
// a check's wait later (the wait doubles with every check, up to a day). The real lifecycle, fetcher on 127.0.0.1 and
// PostgreSQL; the escalation's first announcement refused by a trigger.
const HOUR = 3_600_000;
let db: TestDatabase;
let site: Server;
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await createTestSchema();
  await upsertTenant(db.pool, { id: 'plat', kind: 'platform', name: 'plat', subscribedToBlocking: false });
  // The first escalation announced fails (a sequence: its count survives the rollback).
  await db.pool.query(`create sequence escalation_failures;
    create function fail_first_escalation() returns trigger language plpgsql as $$
    begin
      if new.payload->>'event' = 'escalated' and nextval('escalation_failures') = 1 then
        raise exception 'injected failure of the first escalation';
      end if;
      return new;
    end $$;
    create trigger fail_first_escalation before insert on outbox
      for each row execute function fail_first_escalation();`);
  site = createServer((_req, res) => res.writeHead(503).end());
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

describe('an inconclusive verification past the deadline and grace whose escalation failed', () => {
  it('is escalated at the next pass', async () => {
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/photo.jpg`;
    const order = await openOrder(
      db.pool,
      testOrder({
        kind: 'takedown',
        subjectType: 'url',
        subjectValue: url,
        targetTenantId: 'plat',
        verifyUrl: url,
        deadlineAt: new Date(clock.now().getTime() + HOUR),
        evidence: { sha256: 'ab'.repeat(32), hits: [] },
      }),
    );
    await answerActioned(db.pool, order.id, 'plat', clock.now());
    const pass = testLifecycle(db.pool, clock, {
      verifier: loopbackVerifier(),
      verification: { inconclusiveGraceMs: 24 * HOUR },
    });
    await pass.tick();
    clock.advance(26 * HOUR);
    await expect(pass.tick()).rejects.toThrow(/injected failure/);
    expect((await getOrder(db.pool, order.id, { all: true }))?.clock.escalatedAt).toBeNull();
    // A minute later (before: the next check was put off 10 to 20 minutes, and a day once the waits had grown).
    clock.advance(60_000);
    await pass.tick();
    const after = await getOrder(db.pool, order.id, { all: true });
    expect(after?.status).toBe('actioned');
    expect(after?.clock.escalatedAt).not.toBeNull();
  });
});
