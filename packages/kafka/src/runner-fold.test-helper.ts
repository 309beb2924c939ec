import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Codecs, ModError, type DeadLetter } from '@mod/contracts';
import { createRegistry, createStepMetrics, type Registry } from '@mod/telemetry';
import { ensureTopics, withAdmin } from './admin.js';
import type { Kafka } from './client.js';
import { createProducer, type Producer } from './producer.js';
import { createConsumerRunner, type ConsumerRunner, type ConsumerRunnerOptions } from './runner.js';
import type { StepOutcome } from './step.js';
import { readTopic, testKafka, testTopic } from './testing.test-helper.js';
import { logger, waitForAsync } from './runner.test-helper.js';

/** Shared set-up of the tests of dead letters folded past their bound, against the real broker. */
export interface FoldTopics {
  kafka: Kafka;
  prefix: string;
  /** The input topic: the tenant `platform-a`'s own, as the runner is told. */
  topic: string;
  dlq: string;
}

/** A connection, an input topic of `partitions` and a dead-letter topic of the test's own. */
export async function freshTopics(
  clientId: string,
  o: { dlqMaxMessageBytes?: number; partitions?: number } = {},
): Promise<FoldTopics> {
  const kafka = testKafka(clientId);
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const topic = `${prefix}in`;
  const dlq = `${prefix}dlq`;
  await ensureTopics(kafka, [testTopic(topic, o.partitions)]);
  await ensureTopics(
    kafka,
    [testTopic(dlq)],
    o.dlqMaxMessageBytes === undefined ? {} : { maxMessageBytes: o.dlqMaxMessageBytes },
  );
  return { kafka, prefix, topic, dlq };
}

/** Sends `values` as one zstd record batch, as a partner's own producer may (keys: their index), to `partition`. */
export async function sendBatch(
  kafka: Kafka,
  topic: string,
  values: readonly string[],
  partition?: number,
): Promise<void> {
  const raw = new PlatformaticProducer({ ...kafka.base, compression: 'zstd' });
  try {
    await raw.send({
      messages: values.map((v, i) => ({
        topic,
        key: Buffer.from(String(i)),
        value: Buffer.from(v),
        ...(partition === undefined ? {} : { partition }),
      })),
    });
  } finally {
    await raw.close();
  }
}

/** A step that dead-letters `bad-<CODE>` with MOD_ERR_TEST_<CODE> and counts the rest it sees. */
export function countingStep() {
  const seen = { good: [] as string[], bad: 0 };
  const step = async (m: { value: Buffer | null }): Promise<StepOutcome> => {
    const value = m.value?.toString() ?? '';
    const bad = /^bad-([A-Z]+)$/.exec(value);
    if (bad !== null) {
      seen.bad++;
      throw new ModError(`MOD_ERR_TEST_${bad[1] ?? ''}`, `refused ${value}`);
    }
    seen.good.push(value);
    return { kind: 'ok' };
  };
  return { seen, step };
}

export interface FoldRunnerOptions
  extends Pick<ConsumerRunnerOptions, 'step' | 'deadLetters' | 'recordTenantOf'> {
  /** Topics consumed; default `t.topic`. */
  topics?: readonly string[];
  /** The tenant of each topic; default `platform-a` for `t.topic`, none for the others. */
  tenantOf?: (topic: string) => string | null;
  registry?: Registry;
  /** What the runner is given as its producer (default the producer itself). */
  producer?: (p: Producer) => Producer;
}

/** A started runner of group `<prefix>g` with a producer of its own; `stop` stops both. */
export async function startFoldRunner(
  t: FoldTopics,
  o: FoldRunnerOptions,
): Promise<{ runner: ConsumerRunner; stop: () => Promise<void> }> {
  const producer = await createProducer(t.kafka);
  const runner = createConsumerRunner({
    kafka: t.kafka,
    groupId: `${t.prefix}g`,
    topics: o.topics ?? [t.topic],
    tenantOf: o.tenantOf ?? ((topic) => (topic === t.topic ? 'platform-a' : null)),
    stepName: 'test',
    step: o.step,
    producer: o.producer?.(producer) ?? producer,
    deadLetterTopic: t.dlq,
    ...(o.deadLetters === undefined ? {} : { deadLetters: o.deadLetters }),
    ...(o.recordTenantOf === undefined ? {} : { recordTenantOf: o.recordTenantOf }),
    logger,
    metrics: createStepMetrics(o.registry ?? createRegistry('test')),
    retryDelayMs: 20,
    maxRetryDelayMs: 100,
  });
  try {
    await runner.start();
  } catch (err) {
    await producer.disconnect();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    try {
      await runner.stop();
    } finally {
      await producer.disconnect();
    }
  };
  // Stopped once, however often asked (a test's own stop, then its `finally`).
  return { runner, stop: () => (stopped ??= stop()) };
}

/** Runs a runner (`startFoldRunner`) until `done()`; stopped either way. */
export async function runUntil(
  t: FoldTopics,
  o: FoldRunnerOptions & { done: () => boolean | Promise<boolean> },
): Promise<void> {
  const { stop } = await startFoldRunner(t, o);
  try {
    await waitForAsync(async () => o.done(), 60_000);
  } finally {
    await stop();
  }
}

/** Runs `countingStep` with `deadLetters` until it sees the good record `until`; what it saw. */
export async function runCounting(
  t: FoldTopics,
  o: Pick<ConsumerRunnerOptions, 'deadLetters'> & { until: string; registry?: Registry },
): Promise<{ good: string[]; bad: number }> {
  const { seen, step } = countingStep();
  await runUntil(t, { ...o, step, done: () => seen.good.includes(o.until) });
  return seen;
}

export const lettersOf = async (kafka: Kafka, dlq: string, count: number): Promise<DeadLetter[]> =>
  (await readTopic(kafka, dlq, (r) => r.length >= count, 20_000)).map((r) =>
    Codecs.deadLetter.decode(r.value),
  );

/** The records the letters of a dead-letter topic stand for (a summary for its `folded.count`). */
export const recordsLettered = (records: readonly { value: Buffer | null }[]): number =>
  records.map((l) => Codecs.deadLetter.decode(l.value)).reduce((n, l) => n + (l.folded?.count ?? 1), 0);

/** The offsets group `groupId` committed on `topic`, by partition (-1 for none). */
export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const [group] = await withAdmin(kafka, (admin) => admin.listConsumerGroupOffsets({ groups: [groupId] }));
  const committed = new Map<number, bigint>();
  for (const p of group?.topics.find((x) => x.name === topic)?.partitions ?? [])
    committed.set(p.partitionIndex, p.committedOffset);
  return committed;
}
