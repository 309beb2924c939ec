import { randomUUID } from 'node:crypto';
import type { Verdict } from '@mod/contracts';
import { createTenantDirectory, submissionScanState } from '@mod/db/submissions';
import { probeImage } from '@mod/hashing';
import { runHashTask, type HashTaskInput, type HashTaskOutput } from '@mod/hashing/pool';
import { BankMatcher } from '@mod/matcher';
import { Counter, createRegistry, createStepMetrics, stageTimer } from '@mod/telemetry';
import { uploadedMediaMessage, type TestDatabase } from '@mod/testing';
import type { Piscina } from 'piscina';
import { createScanStep, type ScanStepDeps } from './scan-step.js';
import { createPgScanStore } from './scan-store.js';

// Hostile media through the scan step with a real hash pool (worker threads, sharp) and the real PostgreSQL store,
// driven as the runner drives it: the step again after each retry, until a final outcome. What is counted is
// attempts and the decodes paid for, never time.

const MEDIA_TOPIC = 'mod.media-submitted.v2';
/** Attempts `scanUntilFinal` gives a message at most: a bound of 2 or 3, and a retry for ever, all show. */
export const MAX_ATTEMPTS = 6;

const PROBE = Buffer.from(probeImage());

/**
 * The scan step hashing in whichever pool `pool()` answers at the time (a test swaps a broken pool for a healthy
 * one), counting the media decodes it asks for and, apart, the pool's probes (`probeImage`).
 */
export function hostileScan(
  db: TestDatabase,
  pool: () => Piscina<HashTaskInput, HashTaskOutput>,
  o: Pick<ScanStepDeps, 'decodeTimeoutMs' | 'decodeMarks'> = {},
) {
  const registry = createRegistry('scan-hostile');
  const published: Verdict[] = [];
  const counted = { decodes: 0, probes: 0 };
  const step = createScanStep({
    hash: (bytes, options) => {
      if (PROBE.equals(bytes)) counted.probes++;
      else counted.decodes++;
      return runHashTask(pool(), bytes, options);
    },
    dihedral: false,
    ...o,
    banks: { matcher: () => new BankMatcher(), meta: () => undefined },
    store: createPgScanStore(db.pool, createTenantDirectory(db.pool)),
    publish: async (v) => void published.push(v),
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: '',
    maxMediaBytes: 5 * 1024 * 1024,
    hits: new Counter({ name: 'hits', help: 'h', labelNames: ['signal'], registers: [registry] }),
    stages: stageTimer(createStepMetrics(registry), 'scan'),
  });

  /** One attempt at `media` under `submissionId`, its bytes a record in a fetched batch, as the runner hands them. */
  const attempt = (media: Buffer, submissionId: string) => {
    const batch = Buffer.alloc(media.byteLength + 16);
    media.copy(batch, 8);
    const value = batch.subarray(8, 8 + media.byteLength);
    return step(uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value }));
  };

  /** Runs the step on `media` (again after each retry); answers the final outcome, attempts, decodes and probes. */
  async function scanUntilFinal(media: Buffer) {
    const submissionId = randomUUID();
    const before = { ...counted };
    for (let attempts = 1; ; attempts++) {
      const outcome = await attempt(media, submissionId);
      if (outcome.kind !== 'retry' || attempts === MAX_ATTEMPTS) {
        const state = await submissionScanState(db.pool, submissionId);
        const decodes = counted.decodes - before.decodes;
        return { outcome, attempts, decodes, probes: counted.probes - before.probes, status: state?.status };
      }
    }
  }

  return { step, attempt, scanUntilFinal, published };
}
