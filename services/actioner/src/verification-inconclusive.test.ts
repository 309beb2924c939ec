import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { getOrder, openOrder, setWebhookEndpoint } from '@mod/db/orders';
import { createRegistry } from '@mod/telemetry';
import { testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { answerActioned } from './order-answers.test-helper.js';
import { loopbackVerifier, platformTestSchema, testLifecycle } from './lifecycle.test-helper.js';
import { createLifecycleMetrics } from './metrics.js';

// A platform answers its takedown "actioned", then its host answers our verifier 503, or nothing at all (past the
// verifier's timeout). The real lifecycle, the real SSRF-safe fetcher on 127.0.0.1 and the real PostgreSQL; the
// pass's clock is moved, nothing waits on the wall clock.
const HOUR = 3_600_000;
const GRACE_HOURS = 24;
let db: TestDatabase;
let site: Server;
/** What each path answers: 503, never (the socket stays open), 404 (the content is gone), or the content still. */
const answers = new Map<string, 'unavailable' | 'hang' | 'gone' | 'served'>();
const CONTENT = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));
const registry = createRegistry('actioner-test');
const metrics = createLifecycleMetrics(registry);
const lifecycle = () =>
  testLifecycle(db.pool, clock, {
    metrics,
    verifier: loopbackVerifier(undefined, 300),
    verification: { inconclusiveGraceMs: GRACE_HOURS * HOUR },
  });

beforeAll(async () => {
  db = await platformTestSchema();
  site = createServer((req, res) => {
    const answer = answers.get(req.url ?? '');
    if (answer === 'hang') return;
    if (answer === 'served') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(CONTENT);
    res.writeHead(answer === 'gone' ? 404 : 503).end();
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

const urlOf = (path: string) => `http://127.0.0.1:${(site.address() as AddressInfo).port}${path}`;

/** A takedown of `path` to the platform, due an hour from now (issued by `issuerTenantId` when given). */
const takedown = async (path: string, issuerTenantId?: string) =>
  openOrder(
    db.pool,
    testOrder({
      ...(issuerTenantId === undefined
        ? {}
        : { issuerTenantId, issuer: { kind: 'authority', id: issuerTenantId } }),
      kind: 'takedown',
      subjectType: 'url',
      subjectValue: urlOf(path),
      targetTenantId: 'plat',
      verifyUrl: urlOf(path),
      deadlineAt: new Date(clock.now().getTime() + HOUR),
      evidence: { sha256: createHash('sha256').update(CONTENT).digest('hex'), hits: [] },
    }),
  );

const escalations = async (id: string) =>
  ((await getOrder(db.pool, id, { all: true }))?.history ?? []).filter((h) => h.status === 'escalated');
/** The escalations of order `id` announced on its order-events topic (through the outbox). */
const escalationEvents = async (id: string) =>
  (
    await db.pool.query<{ payload: { note: string | null; escalateTo?: string; escalationReason?: string } }>(
      `select payload from outbox where payload->>'orderId' = $1 and payload->>'event' = 'escalated' order by id`,
      [id],
    )
  ).rows.map((r) => r.payload);
/** mod_order_inconclusive_verifications_total by outcome. */
const inconclusive = async (): Promise<Record<string, number>> =>
  Object.fromEntries(
    (await metrics.inconclusiveVerifications.get()).values.map((v) => [String(v.labels.outcome), v.value]),
  );

const answered = (id: string) => answerActioned(db.pool, id, 'plat', clock.now());

describe('a takedown answered actioned whose host our verifier cannot reach', () => {
  it('is escalated once when it stays inconclusive past its deadline and grace, and still verified after', async () => {
    const before = await inconclusive();
    answers.set('/unavailable.jpg', 'unavailable');
    answers.set('/hanging.jpg', 'hang');
    const unavailable = await takedown('/unavailable.jpg');
    const hanging = await takedown('/hanging.jpg');
    await answered(unavailable.id);
    await answered(hanging.id);
    const pass = lifecycle();
    // Within the deadline, then past it but within the grace: inconclusive, retried, not escalated.
    for (const advance of [0, 2 * HOUR, 12 * HOUR]) {
      clock.advance(advance);
      await pass.tick();
      expect(await escalations(unavailable.id)).toEqual([]);
      expect(await escalations(hanging.id)).toEqual([]);
    }
    // Past deadline + grace, over several passes a day apart (the longest wait between checks): escalated once.
    for (let day = 0; day < 3; day++) {
      clock.advance(24 * HOUR);
      await pass.tick();
    }
    for (const order of [unavailable, hanging]) {
      const after = await getOrder(db.pool, order.id, { all: true });
      expect(after?.status).toBe('actioned');
      expect(after?.clock.escalatedAt).not.toBeNull();
      expect(await escalations(order.id)).toHaveLength(1);
      expect((await escalations(order.id))[0]?.note).toMatch(/^verification inconclusive/);
      // The reason as a code on the history and the order event, for readers' own language (the note is English).
      expect((await escalations(order.id))[0]?.escalationReason).toBe('verification-inconclusive');
      const events = await escalationEvents(order.id);
      expect(events.map((e) => [e.escalateTo, e.note?.split(' past ')[0], e.escalationReason])).toEqual([
        ['test authority', 'verification inconclusive', 'verification-inconclusive'],
      ]);
    }
    const counted = await inconclusive();
    expect((counted.escalated ?? 0) - (before.escalated ?? 0)).toBe(2);
    expect((counted.within_grace ?? 0) - (before.within_grace ?? 0)).toBeGreaterThanOrEqual(4);
    expect((counted.escalated_before ?? 0) - (before.escalated_before ?? 0)).toBeGreaterThanOrEqual(2);
    // A later conclusive check closes it as ever.
    answers.set('/unavailable.jpg', 'gone');
    clock.advance(24 * HOUR);
    expect((await pass.tick()).verified).toBe(1);
    expect((await getOrder(db.pool, unavailable.id, { all: true }))?.status).toBe('verified');
    expect(await escalations(hanging.id)).toHaveLength(1);
  });

  it('answered actioned after its deadline was escalated: escalated again, at its first inconclusive check', async () => {
    answers.set('/late.jpg', 'unavailable');
    const order = await takedown('/late.jpg');
    const pass = lifecycle();
    clock.advance(2 * HOUR);
    await pass.tick();
    expect(await escalations(order.id)).toHaveLength(1);
    clock.advance(60_000);
    await answered(order.id);
    for (let i = 0; i < 3; i++) {
      await pass.tick();
      clock.advance(24 * HOUR);
    }
    const notes = (await escalations(order.id)).map((h) => h.note);
    expect(notes).toEqual([
      expect.stringMatching(/^deadline/),
      expect.stringMatching(/^verification inconclusive/),
    ]);
    expect((await escalationEvents(order.id)).map((e) => e.escalationReason)).toEqual([
      'deadline-missed',
      'verification-inconclusive',
    ]);
    // The audit records say it as well (evidence.escalation).
    const { rows } = await db.pool.query<{ document: string }>(
      `select e.document from audit_records r join audit_evidence e on e.seq = r.seq and e.name = 'escalation'
       where r.record::jsonb->>'action' = 'order.escalated' and r.record::jsonb->'subject'->>'id' = $1 order by r.seq`,
      [order.id],
    );
    expect(rows.map((r) => JSON.parse(r.document) as unknown)).toEqual([
      'deadline-missed',
      'verification-inconclusive',
    ]);
  });

  it('whose escalation failed is escalated at the next pass, not after the wait of a check', async () => {
    // The next escalation announced fails (the database, for a moment): a sequence, whose count survives the rollback.
    await db.pool.query(`create sequence escalation_failures;
      create function fail_next_escalation() returns trigger language plpgsql as $$
      begin
        if new.payload->>'event' = 'escalated' and nextval('escalation_failures') = 1 then
          raise exception 'injected failure of an escalation';
        end if;
        return new;
      end $$;
      create trigger fail_next_escalation before insert on outbox
        for each row execute function fail_next_escalation();`);
    answers.set('/refused.jpg', 'unavailable');
    const order = await takedown('/refused.jpg');
    await answered(order.id);
    const pass = lifecycle();
    await pass.tick();
    clock.advance(26 * HOUR);
    await expect(pass.tick()).rejects.toThrow(/injected failure/);
    expect(await escalations(order.id)).toEqual([]);
    // A minute later (before: its next check was put off 10 to 20 minutes, up to a day once the waits had grown).
    clock.advance(60_000);
    await pass.tick();
    expect(await escalations(order.id)).toHaveLength(1);
  });

  it('escalated as unverifiable, then found still served: escalated again, once, with every notice', async () => {
    await upsertTenant(db.pool, { id: 'auth', kind: 'authority', name: 'auth', subscribedToBlocking: false });
    await setWebhookEndpoint(db.pool, { tenantId: 'auth', url: urlOf('/hooks') });
    answers.set('/still.jpg', 'unavailable');
    const order = await takedown('/still.jpg', 'auth');
    await answered(order.id);
    const pass = lifecycle();
    await pass.tick();
    clock.advance(26 * HOUR);
    await pass.tick();
    expect((await escalations(order.id)).map((h) => h.escalationReason)).toEqual([
      'verification-inconclusive',
    ]);
    // The host answers again, the same content: reopened past the deadline, the authority told it is still up.
    answers.set('/still.jpg', 'served');
    clock.advance(24 * HOUR);
    expect((await pass.tick()).reopened).toBe(1);
    // The platform answers actioned again and the content is still there: nothing new for the authority.
    await answered(order.id);
    clock.advance(24 * HOUR);
    expect((await pass.tick()).reopened).toBe(1);
    clock.advance(24 * HOUR);
    await pass.tick();
    const reasons = ['verification-inconclusive', 'deadline-missed'];
    expect((await escalations(order.id)).map((h) => h.escalationReason)).toEqual(reasons);
    expect((await escalationEvents(order.id)).map((e) => [e.escalateTo, e.escalationReason])).toEqual(
      reasons.map((r) => ['auth', r]),
    );
    const { rows } = await db.pool.query<{ payload: { event: string; escalationReason?: string } }>(
      `select payload from webhook_deliveries where order_id = $1 and tenant_id = 'auth' and event = 'escalated'
       order by created_at`,
      [order.id],
    );
    expect(rows.map((r) => r.payload.escalationReason)).toEqual(reasons);
    const audit = await db.pool.query<{ document: string }>(
      `select e.document from audit_records r join audit_evidence e on e.seq = r.seq and e.name = 'escalation'
       where r.record::jsonb->>'action' = 'order.escalated' and r.record::jsonb->'subject'->>'id' = $1 order by r.seq`,
      [order.id],
    );
    expect(audit.rows.map((r) => JSON.parse(r.document) as unknown)).toEqual(reasons);
  });

  it("reads an escalation's reason from its own column, whatever its note says", async () => {
    answers.set('/noted.jpg', 'unavailable');
    const order = await takedown('/noted.jpg');
    await answered(order.id);
    clock.advance(26 * HOUR);
    await lifecycle().tick();
    await db.pool.query(`update order_events set note = 'escalated (note edited)' where order_id = $1`, [
      order.id,
    ]);
    expect((await escalations(order.id)).map((h) => [h.note, h.escalationReason])).toEqual([
      ['escalated (note edited)', 'verification-inconclusive'],
    ]);
  });
});
