import {
  defineWorkerService,
  labelledCounter,
  type WorkerService,
  type WorkerServiceOptions,
  type WorkerServiceParts,
} from '@mod/bootstrap';
import type { ConfigOf } from '@mod/config';
import { createDecodeMarks, createTenantDirectory } from '@mod/db/submissions';
import { createHashPool, runHashTask } from '@mod/hashing/pool';
import { Gauge, Histogram, stageTimer } from '@mod/telemetry';
import { createBankSync, type BankSync } from './bank-sync.js';
import type { scannerSpec } from './config.js';
import { scannerHashPoolOptions } from './hash-pool.js';
import { createScanStep, verdictPublisher } from './scan-step.js';
import { createPgScanStore } from './scan-store.js';

export type ScannerConfig = ConfigOf<typeof scannerSpec>;

export interface ScannerService extends WorkerService {
  banks: BankSync;
}

/** What tests may give the scanner besides its configuration (production gives none). */
export interface ScannerServiceOptions extends WorkerServiceOptions {
  /** The hash pool's task module (a test's, wrapping the hash task); `@mod/hashing`'s when absent. */
  hashTaskFilename?: string;
}

export const createScannerService = defineWorkerService<ScannerConfig, ScannerService, ScannerServiceOptions>(
  { role: 'scanner', dbConnections: 4 },
  scannerService,
);

function scannerService(parts: WorkerServiceParts<ScannerConfig, ScannerServiceOptions>): ScannerService {
  const { worker, config, logger, registry, options } = parts;
  const { topics, kafka, db } = worker;
  // The consumer's in-flight window is the back-pressure; the queue holds all of it so `run` never rejects.
  const pool = createHashPool({
    ...scannerHashPoolOptions(config),
    ...(options.hashTaskFilename === undefined ? {} : { filename: options.hashTaskFilename }),
    // A worker that cannot start fails the media waiting (MOD_ERR_HASH_WORKER_START_FAILED, retried), not the scanner.
    onError: (err) =>
      logger.error(
        { err, code: 'MOD_ERR_HASH_WORKER_START_FAILED' },
        'hash worker could not start; the media waiting for it is failed and retried',
      ),
  });
  // Decodes under way, marked in PostgreSQL: media whose decode ends the whole process is counted as crashed by the
  // next one (the owner: this instance's static membership id, unique among live instances).
  const decodeMarks = createDecodeMarks({
    db,
    stage: 'hash',
    owner: kafka.groupInstanceId,
    leaseMs: config.DECODE_LEASE_MS,
    ttlMs: config.DECODE_MARK_TTL_MS,
    onError: (err) => logger.warn({ err }, 'decode marks not written; trying with the next batch'),
    // The last batch at stop is tried again for at most a quarter of the shutdown budget.
    stopRetryMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4),
    onMarksLeft: (err, marksLeft) =>
      logger.error(
        { err, marksLeft },
        'decode marks of decodes that ended not deleted at stop: the next start of this instance counts each as a crash',
      ),
  });
  const bankMetrics = {
    entries: new Gauge({
      name: 'mod_scanner_bank_entries',
      help: 'Live bank entries in the index',
      registers: [registry],
    }),
    applied: labelledCounter(registry, {
      name: 'mod_scanner_bank_changes_applied_total',
      help: 'Bank changes applied from the bank-changes topic',
      label: 'type',
    }),
    lag: new Histogram({
      name: 'mod_scanner_bank_change_lag_seconds',
      help: 'Time from a bank change being published to this scanner applying it',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
  };

  const hits = labelledCounter(registry, {
    name: 'mod_scanner_hits_total',
    help: 'Bank hits by signal',
    label: 'signal',
  });
  // Loaded before the scanner consumes, its readiness the scanner's.
  const banks = worker.keep(
    'banks',
    createBankSync({
      db,
      kafka,
      topic: topics.bankChanges,
      logger,
      metrics: bankMetrics,
      groupPrefix: config.SCANNER_GROUP_ID,
      ...(config.BANK_SNAPSHOT_PATH === '' ? {} : { snapshotPath: config.BANK_SNAPSHOT_PATH }),
    }),
  );
  new Gauge({
    name: 'mod_scanner_pool_queue_size',
    help: 'Media waiting for a hashing thread, by pool (hash)',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.set({ pool: 'hash' }, pool.queueSize);
    },
  });
  // Media with hits only in review banks is sealed in the evidence vault before its verdict is published.
  const keepEvidence = worker.evidenceKeeper(config, 'review-bank');

  return {
    banks,
    checks: worker.checks(),
    async start() {
      const producer = await worker.open(['mediaSubmitted', 'bankChanges', 'verdicts']);
      const { leftBehind } = await decodeMarks.start();
      if (leftBehind > 0)
        logger.warn(
          { leftBehind, code: 'MOD_ERR_HASH_WORKER_CRASHED' },
          'decodes were under way when this instance last ended: each counts as a crash of its content',
        );
      const runner = await worker.consume({
        groupId: config.SCANNER_GROUP_ID,
        inbound: { kind: 'mediaSubmitted', refreshMs: config.PARTNER_TOPICS_REFRESH_MS },
        stepName: 'scan',
        step: createScanStep({
          hash: (bytes, options) => runHashTask(pool, bytes, options),
          banks,
          dihedral: config.HASH_DIHEDRAL,
          reducedDecode:
            config.HASH_REDUCED_DECODE_MIN_SIDE === 0
              ? false
              : { minSide: config.HASH_REDUCED_DECODE_MIN_SIDE },
          maxDecodedBytes: config.HASH_MAX_DECODED_BYTES,
          maxHashedFrames: config.HASH_MAX_FRAMES,
          decodeMarks,
          store: createPgScanStore(db, createTenantDirectory(db)),
          publish: verdictPublisher(producer, topics.verdicts),
          mediaTopic: topics.mediaSubmitted,
          topicPrefix: config.TOPIC_PREFIX,
          maxMediaBytes: config.MAX_MEDIA_BYTES,
          hits,
          ...(keepEvidence === null ? {} : { keepEvidence }),
          stages: stageTimer(worker.stepMetrics, 'scan'),
        }),
        maxInFlight: config.HASH_MAX_IN_FLIGHT,
        readAheadBytes: config.SCANNER_READ_AHEAD_BYTES,
      });
      logger.info({ topics: runner.topics(), threads: config.HASH_THREADS }, 'scanner started');
    },
    async stop() {
      await worker.stop();
      await decodeMarks.stop();
      await pool.destroy();
      await worker.close();
    },
  };
}
