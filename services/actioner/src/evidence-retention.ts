import { Counter, Gauge, type Logger, type Registry } from '@mod/telemetry';
import { EvidenceStates, serviceActor, type EvidenceStore, type RetentionPolicy } from '@mod/vault';
import type { Clock } from './clock.js';

/** The vault's metrics: items by state (at each pass), and items destroyed. */
export interface EvidenceRetentionMetrics {
  items: Gauge<'state'>;
  destroyed: Counter;
}

export function createEvidenceRetentionMetrics(registry: Registry): EvidenceRetentionMetrics {
  return {
    items: new Gauge({
      name: 'mod_vault_items',
      help: 'Evidence vault items by state (unlinked, in-case, case-closed, legal-hold, destroyed), as of the last retention pass',
      labelNames: ['state'],
      registers: [registry],
    }),
    destroyed: new Counter({
      name: 'mod_vault_destroyed_total',
      help: 'Evidence vault items whose bytes and data key retention destroyed',
      registers: [registry],
    }),
  };
}

export interface EvidenceRetentionOptions {
  store: Pick<EvidenceStore, 'sweep' | 'countByState'>;
  policy: RetentionPolicy;
  /** Items per transaction (`VAULT_SWEEP_BATCH`). */
  batchSize: number;
  /** Batches one pass runs at most, so that a backlog never holds the scheduler. Default 20. */
  maxBatches?: number;
  clock: Clock;
  logger: Logger;
  metrics: EvidenceRetentionMetrics;
}

export interface EvidenceRetention {
  /** Destroys what retention says is due now (never under legal hold); answers how many items. */
  sweep(): Promise<number>;
}

const ACTIONER = serviceActor('actioner');

/**
 * The evidence vault's retention, a pass of the actioner's periodic lifecycle: batch after batch (each its own
 * transaction, rows shared between actioners with `skip locked`) until nothing more is due or `maxBatches` ran;
 * then the items gauge is refreshed.
 */
export function createEvidenceRetention(o: EvidenceRetentionOptions): EvidenceRetention {
  const maxBatches = o.maxBatches ?? 20;
  return {
    async sweep() {
      let destroyed = 0;
      for (let batch = 0; batch < maxBatches; batch++) {
        const report = await o.store.sweep(o.policy, o.clock.now(), ACTIONER, o.batchSize);
        destroyed += report.destroyed;
        o.metrics.destroyed.inc(report.destroyed);
        if (report.destroyed < o.batchSize) break;
      }
      if (destroyed > 0) o.logger.info({ destroyed }, 'evidence destroyed under the retention policy');
      const counts = await o.store.countByState();
      for (const state of EvidenceStates) o.metrics.items.set({ state }, counts[state]);
      return destroyed;
    },
  };
}
