import {
  ownRecordTenant,
  tenantOfPartnerTopic,
  topicNames,
  type PartnerTopicBase,
  type ServiceRole,
} from '@mod/contracts';
import type { ConfigOf, commonSpec, deadLettersSpec } from '@mod/config';
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

/** What every worker's configuration holds (`commonSpec` and `deadLettersSpec` of `@mod/config`). */
export type WorkerConfig = ConfigOf<typeof commonSpec> & ConfigOf<typeof deadLettersSpec>;

/** Partitions of the subscription a consumer works on at once (each with its own in-flight window). */
export const PARTITIONS_AT_ONCE = 3;

export interface WorkerOptions {
  /** Connections in the service's PostgreSQL pool. */
  dbConnections: number;
  /** Where spans go (tests: an in-memory exporter). Default: from the environment (OTEL_*). */
  tracing?: Tracing | undefined;
}

/** The topics every worker knows by name (`topicNames` of its `TOPIC_PREFIX`). */
export type WorkerTopic = keyof ReturnType<typeof topicNames>;

/** The kinds of topic partners write (their inbound topics): media for the scanner and classifier, URLs for the fetcher. */
export type InboundKind = Extract<PartnerTopicBase, WorkerTopic>;

export type ConsumeOptions = {
  groupId: string;
  /** Name of the step in metrics, logs and traces. */
  stepName: string;
  step: Step;
  /** Messages of one partition in flight at once. Default 1. */
  maxInFlight?: number;
  /** Bytes of records read ahead of the steps (the runner's `readAheadBytes`; the media workers' is small). */
  readAheadBytes?: number;
  /** Bytes of records' values the steps hold at once (the runner's `maxInFlightBytes`: waiting costs none). */
  maxInFlightBytes?: number;
} & (
  | {
      /** Our own topics, consumed from the start. */
      topics: readonly string[];
    }
  | {
      /**
       * Our own topic of this kind, consumed from the start, and every partner's own topic of it, found as partners
       * are granted access (listed every `refreshMs`, `PARTNER_TOPICS_REFRESH_MS`).
       */
      inbound: { kind: InboundKind; refreshMs: number };
    }
);

/**
 * An index a worker keeps in memory from a topic of changes beside its consumers (the scanner's banks, the
 * fetcher's URL lists): loaded before the consumers start, stopped with them, its readiness one of the worker's.
 */
export interface KeptIndex {
  /** Loads the index, then follows its topic. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Loaded and following. */
  ready(): boolean;
}

/** How a worker keeps media that needs a person in the evidence vault (`@mod/db/vault`'s keeper). */
export type EvidenceKeeper = NonNullable<ReturnType<typeof createEvidenceKeeper>>;

/** What a worker's evidence keeper reads of its service's configuration: the vault's master keys, the largest media. */
export type EvidenceKeeperConfig = ConfigOf<typeof vaultKeySpec> & { MAX_MEDIA_BYTES: number };

/**
 * A worker service's shared parts: its topics, its Kafka client under its own principal, its PostgreSQL pool, its
 * tracing and the step metrics. `keep` adds an index the worker keeps; `open` migrates, waits for the topics, loads
 * the indexes and creates the producer; `consume` starts a consumer runner wired the same way in every worker;
 * `stop` stops the consumers and the indexes; `close` releases everything `open` and the constructor took.
 */
export interface Worker {
  readonly topics: ReturnType<typeof topicNames>;
  readonly kafka: Kafka;
  readonly db: Pool;
  readonly tracing: Tracing;
  readonly stepMetrics: StepMetrics;
  /**
   * The service's readiness checks: `database` (the pool answers), `kafka` (every consumer `consume` started has
   * joined its group; false before the first) and, between them, each index `keep` was given (loaded), under its
   * name. Call it after `keep`.
   */
  checks(): Record<string, () => Promise<boolean>>;
  /** Keeps `index` under `name` (its readiness check): `open` loads it, `stop` stops it. */
  keep<I extends KeptIndex>(name: string, index: I): I;
  /**
   * Migrates the schema, waits for `requiredTopics` and the dead-letter topic every consumer writes to (a broker and
   * `modctl kafka setup` started together with the service, as in the demo and compose, may not have made them yet),
   * creates the producer and loads the indexes the worker keeps.
   */
  open(requiredTopics: readonly WorkerTopic[]): Promise<Producer>;
  /**
   * Starts a consumer runner on this worker's client, producer, dead-letter topic, logger, metrics and tracer; it
   * runs until `stop` (or `close`).
   */
  consume(options: ConsumeOptions): Promise<ConsumerRunner>;
  /**
   * Stops, at once, every consumer `consume` started (they stop fetching, let in-flight messages finish and commit)
   * and every index the worker keeps.
   */
  stop(): Promise<void>;
  /**
   * How this worker keeps media that needs a person in the evidence vault (sealed under `config`'s master keys, at
   * most its MAX_MEDIA_BYTES), its custody records naming it and `reason`; null, said once in the log, when no
   * master key is configured (the vault is off).
   */
  evidenceKeeper(config: EvidenceKeeperConfig, reason: EvidenceReason): EvidenceKeeper | null;
  /**
   * Stops what still runs (`stop`), then disconnects the producer, ends the pool and flushes traces. Call last,
   * after the service's own parts (which may use them) have stopped.
   */
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
  /** The runners `consume` started, until they are stopped (the kafka readiness check). */
  let consumers: ConsumerRunner[] = [];

  const inboundTopics = (o: { kind: InboundKind; refreshMs: number }) => ({
    topics: [topics[o.kind]],
    // A partner's own topic is its tenant's: summary dead letters and their metric name it.
    tenantOf: (t: string) => tenantOfPartnerTopic(config.TOPIC_PREFIX, o.kind, t),
    discover: {
      list: () => listTopics(kafka, (t) => tenantOfPartnerTopic(config.TOPIC_PREFIX, o.kind, t) !== null),
      intervalMs: o.refreshMs,
    },
  });
  /** The indexes `keep` was given, by name. */
  const kept = new Map<string, KeptIndex>();
  /** The runners and indexes started and not stopped yet. */
  let running: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    const stopping = running;
    running = [];
    consumers = [];
    await Promise.all(stopping.map((r) => r.stop()));
  };

  return {
    topics,
    kafka,
    db,
    tracing,
    stepMetrics,
    checks: () => ({
      database: () => pingDatabase(db),
      ...Object.fromEntries([...kept].map(([name, index]) => [name, () => Promise.resolve(index.ready())])),
      kafka: () => Promise.resolve(consumers.length > 0 && consumers.every((c) => c.isReady())),
    }),
    keep(name, index) {
      kept.set(name, index);
      return index;
    },
    async open(requiredTopics) {
      await migrate(db, config.DATABASE_SCHEMA);
      await requireTopics(
        kafka,
        [...requiredTopics, 'deadLetters' as const].map((t) => topics[t]),
        { waitMs: STARTUP_TOPICS_WAIT_MS },
      );
      producer ??= await createProducer(kafka, { sendDeadlineMs: config.KAFKA_SEND_DEADLINE_MS });
      for (const index of kept.values()) {
        running.push(index);
        await index.start();
      }
      return producer;
    },
    async consume(o) {
      if (producer === undefined) throw new Error('open() the worker before consuming');
      const runner = createConsumerRunner({
        kafka,
        groupId: o.groupId,
        ...('inbound' in o ? inboundTopics(o.inbound) : { topics: o.topics }),
        // Our own topics' records count in the dead-letter bound of the tenant their event names.
        recordTenantOf: ownRecordTenant,
        stepName: o.stepName,
        step: o.step,
        producer,
        deadLetterTopic: topics.deadLetters,
        deadLetters: { perSource: config.DEAD_LETTERS_PER_SOURCE, windowMs: config.DEAD_LETTERS_WINDOW_MS },
        logger,
        metrics: stepMetrics,
        ...(o.maxInFlight === undefined ? {} : { maxInFlight: o.maxInFlight }),
        ...(o.readAheadBytes === undefined ? {} : { readAheadBytes: o.readAheadBytes }),
        ...(o.maxInFlightBytes === undefined ? {} : { maxInFlightBytes: o.maxInFlightBytes }),
        partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
        tracer: tracing.tracer,
      });
      consumers.push(runner);
      running.push(runner);
      await runner.start();
      return runner;
    },
    stop,
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
      await stop();
      await producer?.disconnect();
      producer = undefined;
      await db.end();
      await tracing.shutdown();
    },
  };
}
