import { tenantOfPartnerTopic, topicNames, type PartnerTopicBase, type ServiceRole } from '@mod/contracts';
import type { ConfigOf, commonSpec } from '@mod/config';
import { createPool, migrate, pingDatabase, type Pool } from '@mod/db';
import { createEvidenceKeeper } from '@mod/db/vault';
import {
  createConsumerRunner,
  createProducer,
  createServiceKafka,
  listTopics,
  requireTopics,
  STARTUP_TOPICS_WAIT_MS,
  type ConsumerRunner,
  type Kafka,
  type Producer,
  type Step,
} from '@mod/kafka';
import {
  createStepMetrics,
  tracingFromConfig,
  type Logger,
  type Registry,
  type StepMetrics,
  type Tracing,
} from '@mod/telemetry';
import { keyringFromConfig, type EvidenceReason, type vaultKeySpec } from '@mod/vault';

/** What every worker's configuration holds (`commonSpec` of `@mod/config`). */
export type WorkerConfig = ConfigOf<typeof commonSpec>;

/** Partitions of the subscription a consumer works on at once (each with its own in-flight window). */
export const PARTITIONS_AT_ONCE = 3;

export interface WorkerOptions {
  /** Connections in the service's PostgreSQL pool. */
  dbConnections: number;
  /** Where spans go (tests: an in-memory exporter). Default: from the environment (OTEL_*). */
  tracing?: Tracing | undefined;
}

export interface ConsumeOptions {
  groupId: string;
  /** Our own topics, consumed from the start. */
  topics: readonly string[];
  /**
   * Also every partner's own topic of this kind, found as partners are granted access (listed every
   * `refreshMs`, `PARTNER_TOPICS_REFRESH_MS`).
   */
  partnerTopics?: { kind: PartnerTopicBase; refreshMs: number };
  /** Name of the step in metrics, logs and traces. */
  stepName: string;
  step: Step;
  /** Messages of one partition in flight at once. Default 1. */
  maxInFlight?: number;
}

/** How a worker keeps media that needs a person in the evidence vault (`@mod/db/vault`'s keeper). */
export type EvidenceKeeper = NonNullable<ReturnType<typeof createEvidenceKeeper>>;

/** What a worker's evidence keeper reads of its service's configuration: the vault's master keys, the largest media. */
export type EvidenceKeeperConfig = ConfigOf<typeof vaultKeySpec> & { MAX_MEDIA_BYTES: number };

/**
 * A worker service's shared parts: its topics, its Kafka client under its own principal, its PostgreSQL pool, its
 * tracing and the step metrics. `open` migrates, waits for the topics and creates the producer; `consume` starts
 * a consumer runner wired the same way in every worker; `close` releases everything `open` and the constructor
 * took, after the service has stopped its consumers.
 */
export interface Worker {
  readonly topics: ReturnType<typeof topicNames>;
  readonly kafka: Kafka;
  readonly db: Pool;
  readonly tracing: Tracing;
  readonly stepMetrics: StepMetrics;
  /**
   * The service's readiness checks: `database` (the pool answers), `kafka` (every consumer `consume` started has
   * joined its group; false before the first) and the service's own (`extra`: indexes loaded, ...) between them.
   */
  checks(extra?: Record<string, () => boolean>): Record<string, () => Promise<boolean>>;
  /**
   * Migrates the schema, waits for `requiredTopics` (a broker and `modctl kafka setup` started together with the
   * service, as in the demo and compose, may not have made them yet) and creates the producer.
   */
  open(requiredTopics: readonly string[]): Promise<Producer>;
  /** A consumer runner on this worker's client, producer, dead-letter topic, logger, metrics and tracer. */
  consume(options: ConsumeOptions): ConsumerRunner;
  /**
   * How this worker keeps media that needs a person in the evidence vault (sealed under `config`'s master keys, at
   * most its MAX_MEDIA_BYTES), its custody records naming it and `reason`; null, said once in the log, when no
   * master key is configured (the vault is off).
   */
  evidenceKeeper(config: EvidenceKeeperConfig, reason: EvidenceReason): EvidenceKeeper | null;
  /** Disconnects the producer, ends the pool and flushes traces. Call after every consumer has stopped. */
  close(): Promise<void>;
}

export function createWorker(
  config: WorkerConfig,
  role: ServiceRole,
  logger: Logger,
  registry: Registry,
  options: WorkerOptions,
): Worker {
  const topics = topicNames(config.TOPIC_PREFIX);
  const kafka = createServiceKafka(config, role, logger);
  const tracing = options.tracing ?? tracingFromConfig(config, role, logger);
  const db = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: options.dbConnections,
    applicationName: role,
  });
  const stepMetrics = createStepMetrics(registry);
  let producer: Producer | undefined;
  /** The runners `consume` started, until `close` (the kafka readiness check). */
  let consumers: ConsumerRunner[] = [];

  const partnerTopicsOf = (o: { kind: PartnerTopicBase; refreshMs: number }) => ({
    list: () => listTopics(kafka, (t) => tenantOfPartnerTopic(config.TOPIC_PREFIX, o.kind, t) !== null),
    intervalMs: o.refreshMs,
  });

  return {
    topics,
    kafka,
    db,
    tracing,
    stepMetrics,
    checks: (extra = {}) => ({
      database: () => pingDatabase(db),
      ...Object.fromEntries(
        Object.entries(extra).map(([name, check]) => [name, () => Promise.resolve(check())]),
      ),
      kafka: () => Promise.resolve(consumers.length > 0 && consumers.every((c) => c.isReady())),
    }),
    async open(requiredTopics) {
      await migrate(db, config.DATABASE_SCHEMA);
      await requireTopics(kafka, requiredTopics, { waitMs: STARTUP_TOPICS_WAIT_MS });
      producer ??= await createProducer(kafka);
      return producer;
    },
    consume(o) {
      if (producer === undefined) throw new Error('open() the worker before consuming');
      const runner = createConsumerRunner({
        kafka,
        groupId: o.groupId,
        topics: o.topics,
        ...(o.partnerTopics === undefined ? {} : { discover: partnerTopicsOf(o.partnerTopics) }),
        stepName: o.stepName,
        step: o.step,
        producer,
        deadLetterTopic: topics.deadLetters,
        logger,
        metrics: stepMetrics,
        ...(o.maxInFlight === undefined ? {} : { maxInFlight: o.maxInFlight }),
        partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
        tracer: tracing.tracer,
      });
      consumers.push(runner);
      return runner;
    },
    evidenceKeeper(serviceConfig, reason) {
      const keep = createEvidenceKeeper(db, {
        keyring: keyringFromConfig(serviceConfig),
        maxBytes: serviceConfig.MAX_MEDIA_BYTES,
        reason,
        service: role,
      });
      if (keep === null)
        logger.warn(
          'evidence vault off (MOD_VAULT_MASTER_KEY empty): review cases will open without their media',
        );
      return keep;
    },
    async close() {
      await producer?.disconnect();
      producer = undefined;
      consumers = [];
      await db.end();
      await tracing.shutdown();
    },
  };
}
