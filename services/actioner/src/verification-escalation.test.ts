import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder, openOrder } from '@mod/db/orders';
import { testOrder, type TestDatabase } from '@mod/testing';
import { createManualClock } from './clock.js';
import { answerActioned } from './order-answers.test-helper.js';
import { loopbackVerifier, platformTestSchema, testLifecycle } from './lifecycle.test-helper.js';

// A platform whose content is still served answers its takedown "actioned" again each time verification finds it
// there (its receiver does so on every order.reopened). Its deadline passes meanwhile. The real lifecycle, the real
// SSRF-safe fetcher on 127.0.0.1 and the real PostgreSQL.
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const HOUR = 3_600_000;
let db: TestDatabase;
let site: Server;
const clock = createManualClock(new Date('2026-04-01T00:00:00Z'));

beforeAll(async () => {
  db = await platformTestSchema();
  site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  site?.closeAllConnections();
  await new Promise((r) => site?.close(r));
  await db?.drop();
});

const answered = (id: string) => answerActioned(db.pool, id, 'plat', clock.now());

describe('a takedown whose content verification finds still served past its deadline', () => {
  it('is escalated, however quickly the platform answers actioned again', async () => {
    const verifyUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/photo.jpg`;
    const order = await openOrder(
      db.pool,
      testOrder({
        kind: 'takedown',
        subjectType: 'url',
        subjectValue: verifyUrl,
        targetTenantId: 'plat',
        verifyUrl,
        deadlineAt: new Date(clock.now().getTime() + HOUR),
        evidence: { sha256: createHash('sha256').update(photo).digest('hex'), hits: [] },
      }),
    );
    await answered(order.id);
    clock.advance(2 * HOUR);
    const lifecycle = testLifecycle(db.pool, clock, {
      verifier: loopbackVerifier(),
    });
    for (let pass = 0; pass < 3; pass++) {
      const report = await lifecycle.tick();
      expect(report.reopened).toBe(1);
      // The platform's receiver answers before the next pass.
      await answered(order.id);
      clock.advance(60_000);
    }
    const after = await getOrder(db.pool, order.id, { all: true });
    expect(after?.verificationFailures).toBe(3);
    expect(after?.clock.escalatedAt).not.toBeNull();
    expect(after?.history.filter((h) => h.status === 'escalated')).toHaveLength(1);
  });
});
