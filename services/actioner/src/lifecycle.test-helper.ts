import type { Pool } from '@mod/db';
import { commandOrder } from '@mod/db/orders';
import { createLogger, createRegistry } from '@mod/telemetry';
import type { Clock, ManualClock } from './clock.js';
import { createOrderLifecycle, type LifecycleOptions, type OrderLifecycle } from './lifecycle.js';
import { createLifecycleMetrics } from './metrics.js';
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

/**
 * Platform `plat`'s answer that it actioned order `id`, as POST /v1/orders/:id/actioned records it (scoped to the
 * target); then `clock` moves on a second.
 */
export async function platformActioned(db: Pool, clock: ManualClock, id: string): Promise<void> {
  const answered = await commandOrder(db, {
    id,
    scope: { all: false, targetTenantId: 'plat' },
    command: { type: 'action', note: 'removed' },
    now: clock.now(),
    actor: 'platform:plat:key-1',
  });
  if (!answered.ok) throw new Error(`order ${id} not actioned`);
  clock.advance(1_000);
}

/** The production verifier, its SSRF-safe fetcher let reach loopback hosts (5 s), with `perceptual` when given. */
export const loopbackVerifier = (perceptual?: PerceptualCheck): Verifier =>
  createFetchVerifier(createSafeBodyFetcher({ addressPolicy: () => 'allow', timeoutMs: 5_000 }), perceptual);
