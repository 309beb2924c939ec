import { afterAll, beforeAll } from 'vitest';
import type { TopicSpec } from '@mod/contracts';
import { createRegistry, createStepMetrics, type Logger, type StepMetrics } from '@mod/telemetry';
import {
  createConsumerRunner,
  createProducer,
  ensureTopics,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type Kafka,
  type Producer,
} from './index.js';
import { testKafka, testLogger, testTopic } from './testing.test-helper.js';

/** Shared set-up of the consumer runner's tests against the real broker. */
export const logger: Logger = testLogger;

export interface RunnerTestKit {
  kafka: Kafka;
  /** Prefix of this file's topics and groups. */
  prefix: string;
  /** This file's dead-letter topic. */
  dlq: string;
  /** A producer made before the file's tests (`beforeAll`), disconnected after them. */
  producer: Producer;
}

/**
 * A connection, a topic prefix of its own, a dead-letter topic (and `topics`, made with it) and a producer, for
 * the tests of one file: registers the file's `beforeAll` and `afterAll`.
 */
export function runnerTestKit(topics: (prefix: string) => TopicSpec[] = () => []): RunnerTestKit {
  const kafka = testKafka('runner-test');
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const kit = { kafka, prefix, dlq: `${prefix}dlq` } as RunnerTestKit;
  beforeAll(async () => {
    await ensureTopics(kafka, [...topics(prefix), testTopic(kit.dlq)]);
    kit.producer = await createProducer(kafka);
  });
  afterAll(async () => kit.producer.disconnect());
  return kit;
}

/**
 * Runs `step` over `topic` as a service's consumer runner does (its dead letters to `dlq`), from the topic's
 * start, until `done()` holds; the runner is stopped either way.
 */
export async function runStepUntil(
  kafka: Kafka,
  o: { topic: string; dlq: string; step: ConsumerRunnerOptions['step']; done: () => boolean },
): Promise<void> {
  const producer = await createProducer(kafka);
  const runner = createConsumerRunner({
    kafka,
    groupId: `${o.topic}.g`,
    topics: [o.topic],
    stepName: 'test',
    step: o.step,
    producer,
    deadLetterTopic: o.dlq,
    logger,
    metrics: createStepMetrics(createRegistry('test')),
  });
  await runner.start();
  try {
    await waitFor(o.done, 60_000);
  } finally {
    await runner.stop();
    await producer.disconnect();
  }
}

/**
 * Runs a runner of `kit`'s (its producer and dead-letter topic) over `topics` as group `groupId`, with `tuning`,
 * until `done()` holds; the runner is stopped either way, and returned (its gauges keep what they saw).
 */
export async function runKitUntil(
  kit: RunnerTestKit,
  o: {
    groupId: string;
    topics: readonly string[];
    step: ConsumerRunnerOptions['step'];
    done: () => boolean;
    tuning?: Pick<ConsumerRunnerOptions, 'maxInFlight' | 'readAheadBytes'>;
    /** Default: the runner's own, on a registry of its own. */
    metrics?: StepMetrics;
  },
): Promise<ConsumerRunner> {
  const runner = createConsumerRunner({
    kafka: kit.kafka,
    groupId: o.groupId,
    topics: o.topics,
    stepName: 'test',
    step: o.step,
    producer: kit.producer,
    deadLetterTopic: kit.dlq,
    logger,
    metrics: o.metrics ?? createStepMetrics(createRegistry('test')),
    ...o.tuning,
  });
  await runner.start();
  try {
    await waitFor(o.done, 60_000);
  } finally {
    await runner.stop();
  }
  return runner;
}

export async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitForAsync(cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
