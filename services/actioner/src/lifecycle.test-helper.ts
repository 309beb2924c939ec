import type { Pool } from '@mod/db';
import { upsertTenant } from '@mod/db/access';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { createLogger, createRegistry } from '@mod/telemetry';
import type { Clock, ManualClock } from './clock.js';
import { createOrderLifecycle, type LifecycleOptions, type OrderLifecycle } from './lifecycle.js';
import { createLifecycleMetrics } from './metrics.js';
import { answerActioned } from './order-answers.test-helper.js';
import { createSafeBodyFetcher } from './safe-verifier.js';
import { createFetchVerifier, type PerceptualCheck, type Verifier } from './verifier.js';

/** An order lifecycle for tests: on `db` and `clock`, silent, with metrics of its own, and `more` over that. */
export function testLifecycle(db: Pool, clock: Clock, more: Partial<LifecycleOptions> = {}): OrderLifecycle {
  return createOrderLifecycle({
    db,
    clock,
    topics: { prefix: 'x.' },
    logger: createLogger('actioner-test', 'silent'),
    metrics: createLifecycleMetrics(createRegistry('actioner-test')),
    confirmingAuthority: 'test authority',
    ...more,
  });
}

/** A test schema holding the platform tenant `plat`, the target of the verification tests' takedowns. */
export async function platformTestSchema(): Promise<TestDatabase> {
  const db = await createTestSchema();
  await upsertTenant(db.pool, { id: 'plat', kind: 'platform', name: 'plat', subscribedToBlocking: false });
  return db;
}

/**
 * Platform `plat`'s answer that it actioned order `id`, as POST /v1/orders/:id/actioned records it (scoped to the
 * target); then `clock` moves on a second.
 */
export async function platformActioned(db: Pool, clock: ManualClock, id: string): Promise<void> {
  await answerActioned(db, id, 'plat', clock.now());
  clock.advance(1_000);
}

/**
 * The production verifier, its SSRF-safe fetcher let reach loopback hosts (giving up after `timeoutMs`), with
 * `perceptual` when given.
 */
export const loopbackVerifier = (perceptual?: PerceptualCheck, timeoutMs = 5_000): Verifier =>
  createFetchVerifier(createSafeBodyFetcher({ addressPolicy: () => 'allow', timeoutMs }), perceptual);
