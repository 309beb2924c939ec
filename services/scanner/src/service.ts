import { tenantOfPartnerTopic, topicNames } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { createPool, createTenantDirectory, migrate, pingDatabase, type Pool } from '@mod/db';
import { createHashPool, runHashTask } from '@mod/hashing/pool';
import {
  createConsumerRunner,
  createProducer,
  createServiceKafka,
  listTopics,
  requireTopics,
  STARTUP_TOPICS_WAIT_MS,
  type ConsumerRunner,
  type Producer,
} from '@mod/kafka';
import {
  Counter,
  Gauge,
  Histogram,
  createStepMetrics,
  tracingFromConfig,
  type Logger,
  type Registry,
  type Tracing,
} from '@mod/telemetry';
import { createBankSync, type BankSync } from './bank-sync.js';
import type { scannerSpec } from './config.js';
import { createScanStep } from './scan-step.js';

const PARTITIONS_AT_ONCE = 3;

export type ScannerConfig = ConfigOf<typeof scannerSpec>;

export interface ScannerService {
  start(): Promise<void>;
  /** Stop consuming, let in-flight media finish, commit, close the pool and connections. */
  stop(): Promise<void>;
  checks: Record<string, () => Promise<boolean>>;
  banks: BankSync;
}

export interface ScannerServiceOptions {
  /** Where spans go (tests: an in-memory exporter). Default: from the environment (OTEL_*). */
  tracing?: Tracing;
}

export function createScannerService(
  config: ScannerConfig,
  logger: Logger,
  registry: Registry,
  options: ScannerServiceOptions = {},
): ScannerService {
  const topics = topicNames(config.TOPIC_PREFIX);
  const tracing = options.tracing ?? tracingFromConfig(config, 'scanner', logger);
  const kafka = createServiceKafka(config, 'scanner', logger);
  const db: Pool = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: 4,
    applicationName: 'scanner',
  });
  // The consumer's in-flight window is the back-pressure; the queue holds all of it so `run` never rejects.
  const pool = createHashPool({
    maxThreads: config.HASH_THREADS,
    maxQueue: config.HASH_MAX_IN_FLIGHT * PARTITIONS_AT_ONCE,
  });
  const bankMetrics = {
    entries: new Gauge({
      name: 'mod_scanner_bank_entries',
      help: 'Live bank entries in the index',
      registers: [registry],
    }),
    applied: new Counter({
      name: 'mod_scanner_bank_changes_applied_total',
      help: 'Bank changes applied from the bank-changes topic',
      labelNames: ['type'],
      registers: [registry],
    }),
    lag: new Histogram({
      name: 'mod_scanner_bank_change_lag_seconds',
      help: 'Time from a bank change being published to this scanner applying it',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
  };

  const hits = new Counter({
    name: 'mod_scanner_hits_total',
    help: 'Bank hits by signal',
    labelNames: ['signal'],
    registers: [registry],
  });
  const banks = createBankSync({
    db,
    kafka,
    topic: topics.bankChanges,
    logger,
    metrics: bankMetrics,
    groupPrefix: config.SCANNER_GROUP_ID,
    ...(config.BANK_SNAPSHOT_PATH === '' ? {} : { snapshotPath: config.BANK_SNAPSHOT_PATH }),
  });
  new Gauge({
    name: 'mod_scanner_pool_queue_size',
    help: 'Media waiting for a hashing thread, by pool (hash)',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.set({ pool: 'hash' }, pool.queueSize);
    },
  });
  let producer: Producer | undefined;
  let runner: ConsumerRunner | undefined;

  return {
    banks,
    checks: {
      database: () => pingDatabase(db),
      banks: () => Promise.resolve(banks.ready()),
      kafka: () => Promise.resolve(runner?.isReady() ?? false),
    },
    async start() {
      await migrate(db, config.DATABASE_SCHEMA);
      // Started together with the broker and `modctl kafka setup` (the demo, compose): wait for them.
      await requireTopics(
        kafka,
        [topics.mediaSubmitted, topics.bankChanges, topics.verdicts, topics.deadLetters],
        { waitMs: STARTUP_TOPICS_WAIT_MS },
      );
      await banks.start();
      producer = await createProducer(kafka);
      runner = createConsumerRunner({
        kafka,
        groupId: config.SCANNER_GROUP_ID,
        topics: [topics.mediaSubmitted],
        // Every platform's own media topic, as partners are granted access.
        discover: {
          list: () =>
            listTopics(kafka, (t) => tenantOfPartnerTopic(config.TOPIC_PREFIX, 'mediaSubmitted', t) !== null),
          intervalMs: config.PARTNER_TOPICS_REFRESH_MS,
        },
        stepName: 'scan',
        step: createScanStep({
          hash: (bytes, options) => runHashTask(pool, bytes, options),
          banks,
          dihedral: config.HASH_DIHEDRAL,
          reducedDecode:
            config.HASH_REDUCED_DECODE_MIN_SIDE === 0
              ? false
              : { minSide: config.HASH_REDUCED_DECODE_MIN_SIDE },
          producer,
          verdictsTopic: topics.verdicts,
          mediaTopic: topics.mediaSubmitted,
          topicPrefix: config.TOPIC_PREFIX,
          db,
          tenants: createTenantDirectory(db),
          maxMediaBytes: config.MAX_MEDIA_BYTES,
          hits,
        }),
        producer,
        deadLetterTopic: topics.deadLetters,
        logger,
        metrics: createStepMetrics(registry),
        maxInFlight: config.HASH_MAX_IN_FLIGHT,
        partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
        tracer: tracing.tracer,
      });
      await runner.start();
      logger.info({ topics: runner.topics(), threads: config.HASH_THREADS }, 'scanner started');
    },
    async stop() {
      await Promise.all([runner?.stop(), banks.stop()]);
      await producer?.disconnect();
      await pool.destroy();
      await db.end();
      await tracing.shutdown();
    },
  };
}
