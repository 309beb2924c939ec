import { topicNames, topicSpecs } from '@mod/contracts';
import type { ConfigOf } from '@mod/config';
import { createPool, migrate, pingDatabase } from '@mod/db';
import {
  createConsumerRunner,
  createKafka,
  createProducer,
  ensureTopics,
  type ConsumerRunner,
  type Producer,
} from '@mod/kafka';
import type { PolicyConfig } from '@mod/policy';
import { Counter, createStepMetrics, type Logger, type Registry } from '@mod/telemetry';
import { createActionStep } from './action-step.js';
import type { actionerSpec } from './config.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';

export type ActionerConfig = ConfigOf<typeof actionerSpec>;

export interface ActionerService {
  start(): Promise<void>;
  stop(): Promise<void>;
  checks: Record<string, () => Promise<boolean>>;
}

export function policyFromConfig(config: ActionerConfig): PolicyConfig {
  return {
    version: config.POLICY_VERSION,
    blocking: { legalBasis: config.BLOCKING_LEGAL_BASIS, deadlineHours: config.BLOCKING_DEADLINE_HOURS },
  };
}

export function createActionerService(
  config: ActionerConfig,
  logger: Logger,
  registry: Registry,
): ActionerService {
  const topics = topicNames(config.TOPIC_PREFIX);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-actioner`,
    logger,
  });
  const db = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: 5,
    applicationName: 'actioner',
  });
  const orders = new Counter({
    name: 'mod_actioner_orders_total',
    help: 'Orders opened',
    labelNames: ['kind'],
    registers: [registry],
  });
  let producer: Producer | undefined;
  let runner: ConsumerRunner | undefined;
  let relay: OutboxRelay | undefined;

  return {
    checks: {
      database: () => pingDatabase(db),
      kafka: () => Promise.resolve(runner?.isReady() ?? false),
    },
    async start() {
      await migrate(db, config.DATABASE_SCHEMA);
      await ensureTopics(kafka, topicSpecs(config.TOPIC_PREFIX));
      producer = await createProducer(kafka);
      relay = createOutboxRelay(db, producer, logger, config.OUTBOX_POLL_INTERVAL_MS);
      relay.start();
      runner = createConsumerRunner({
        kafka,
        groupId: config.ACTIONER_GROUP_ID,
        topic: topics.verdicts,
        stepName: 'action',
        step: createActionStep({
          db,
          policy: policyFromConfig(config),
          blockingTopic: topics.blockingRequests,
          orders,
          logger,
        }),
        producer,
        deadLetterTopic: topics.deadLetters,
        logger,
        metrics: createStepMetrics(registry),
        partitionsConsumedConcurrently: 3,
      });
      await runner.start();
      logger.info({ topic: topics.verdicts }, 'actioner started');
    },
    async stop() {
      await runner?.stop();
      await relay?.stop();
      await relay?.drain().catch(() => 0);
      await producer?.disconnect();
      await db.end();
    },
  };
}
