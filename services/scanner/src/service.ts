import { topicNames, topicSpecs } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { createPool, migrate, pingDatabase, type Pool } from '@mod/db';
import { createHashPool, runHashTask } from '@mod/hashing';
import {
  createConsumerRunner,
  createKafka,
  createProducer,
  ensureTopics,
  type ConsumerRunner,
  type Producer,
} from '@mod/kafka';
import { Counter, Gauge, createStepMetrics, type Logger, type Registry } from '@mod/telemetry';
import { createBankLoader, type BankLoader } from './bank-loader.js';
import type { scannerSpec } from './config.js';
import { createScanStep } from './scan-step.js';

const PARTITIONS_AT_ONCE = 3;

export type ScannerConfig = ConfigOf<typeof scannerSpec>;

export interface ScannerService {
  start(): Promise<void>;
  /** Stop consuming, let in-flight media finish, commit, close the pool and connections. */
  stop(): Promise<void>;
  checks: Record<string, () => Promise<boolean>>;
  banks: BankLoader;
}

export function createScannerService(
  config: ScannerConfig,
  logger: Logger,
  registry: Registry,
): ScannerService {
  const topics = topicNames(config.TOPIC_PREFIX);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-scanner`,
    logger,
  });
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
  const entries = new Gauge({
    name: 'mod_scanner_bank_entries',
    help: 'Live bank entries in the index',
    registers: [registry],
  });
  const hits = new Counter({
    name: 'mod_scanner_hits_total',
    help: 'Bank hits by signal',
    labelNames: ['signal'],
    registers: [registry],
  });
  const banks = createBankLoader(db, logger, (index) => entries.set(index.entryCount));
  let producer: Producer | undefined;
  let runner: ConsumerRunner | undefined;

  return {
    banks,
    checks: {
      database: () => pingDatabase(db),
      banks: () => Promise.resolve(banks.loaded()),
      kafka: () => Promise.resolve(runner?.isReady() ?? false),
    },
    async start() {
      await migrate(db, config.DATABASE_SCHEMA);
      await ensureTopics(kafka, topicSpecs(config.TOPIC_PREFIX));
      await banks.load();
      banks.start(config.BANK_RELOAD_INTERVAL_MS);
      producer = await createProducer(kafka);
      runner = createConsumerRunner({
        kafka,
        groupId: config.SCANNER_GROUP_ID,
        topic: topics.mediaSubmitted,
        stepName: 'scan',
        step: createScanStep({
          hash: (bytes) => runHashTask(pool, bytes),
          banks: () => banks.current(),
          producer,
          verdictsTopic: topics.verdicts,
          db,
          maxMediaBytes: config.MAX_MEDIA_BYTES,
          hits,
        }),
        producer,
        deadLetterTopic: topics.deadLetters,
        logger,
        metrics: createStepMetrics(registry),
        maxInFlight: config.HASH_MAX_IN_FLIGHT,
        partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
      });
      await runner.start();
      logger.info({ topic: topics.mediaSubmitted, threads: config.HASH_THREADS }, 'scanner started');
    },
    async stop() {
      banks.stop();
      await runner?.stop();
      await producer?.disconnect();
      await pool.destroy();
      await db.end();
    },
  };
}
