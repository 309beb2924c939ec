import type { Pool } from '@mod/db';
import { createLogger, createRegistry } from '@mod/telemetry';
import type { Clock } from './clock.js';
import { createOrderLifecycle, type LifecycleOptions, type OrderLifecycle } from './lifecycle.js';
import { createLifecycleMetrics } from './metrics.js';

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
