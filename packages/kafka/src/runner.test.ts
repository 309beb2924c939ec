import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { Codecs, ModError } from '@mod/contracts';
import {
  createLogger,
  createRegistry,
  createStepMetrics,
  createTracing,
  SpanKind,
  SpanStatusCode,
  type Histogram,
} from '@mod/telemetry';
import {
  createConsumerRunner,
  createKafka,
  createProducer,
  credentialsFromEnvironment,
  describeGroupMembers,
  ensureTopics,
  listTopics,
  ok,
  readTopic,
  type Producer,
  type StepOutcome,
} from './index.js';
import { isFencedInstance, messageAgeSeconds } from './runner.js';

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('test', process.env['TEST_LOG_LEVEL'] ?? 'silent');
const kafka = createKafka({
  brokers,
  clientId: 'runner-test',
  logger,
  credentials: credentialsFromEnvironment(),
});
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
const topic = `${prefix}in`;
const dlq = `${prefix}dlq`;
let producer: Producer;

beforeAll(async () => {
  await ensureTopics(kafka, [
    { name: topic, partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    { name: dlq, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
  ]);
  producer = await createProducer(kafka);
});
afterAll(async () => producer.disconnect());

describe('consumer runner (real Kafka)', () => {
  it('processes, retries outages, dead-letters bad input, and resumes after a restart without reprocessing', async () => {
    const values = ['a', 'bad', 'b', 'flaky', 'c'];
    await producer.send({ topic, messages: values.map((v) => ({ key: 'k', value: v })) });
    const processed: string[] = [];
    let flakyFailures = 0;
    const step = async (m: { value: Buffer | null }): Promise<StepOutcome> => {
      const v = m.value?.toString() ?? '';
      if (v === 'bad') throw new ModError('MOD_ERR_TEST_BAD_INPUT', 'cannot ever work');
      if (v === 'flaky' && flakyFailures++ < 2) return { kind: 'retry', error: new Error('db down') };
      processed.push(v);
      return { kind: 'ok' };
    };
    const registry = createRegistry('test');
    const metrics = createStepMetrics(registry);
    const common = {
      kafka,
      groupId: `${prefix}g`,
      topics: [topic],
      stepName: 'test',
      producer,
      deadLetterTopic: dlq,
      logger,
      metrics,
      retryDelayMs: 20,
    };
    const runner = createConsumerRunner({ ...common, step, maxInFlight: 3 });
    await runner.start();
    await waitFor(() => processed.length === 4);
    await runner.stop();
    expect([...processed].sort()).toEqual(['a', 'b', 'c', 'flaky']);
    expect(flakyFailures).toBe(3);
    const outcomes = await registry.getSingleMetricAsString('mod_step_outcomes_total');
    expect(outcomes).toContain('outcome="retry",service="test"} 2');
    expect(outcomes).toContain('outcome="dlq",service="test"} 1');

    const letters = await readTopic(kafka, dlq, (r) => r.length >= 1, 20_000);
    expect(letters).toHaveLength(1);
    const letter = Codecs.deadLetter.decode(letters[0]?.value ?? null);
    expect(letter.reason.code).toBe('MOD_ERR_TEST_BAD_INPUT');
    expect(letter.sourceTopic).toBe(topic);
    expect(letter.valueBytes).toBe(3);

    // A restarted runner in the same group starts after the committed offsets: nothing is processed twice.
    await producer.send({ topic, messages: [{ key: 'k', value: 'd' }] });
    const again: string[] = [];
    const runner2 = createConsumerRunner({
      ...common,
      step: async (m) => (again.push(m.value?.toString() ?? ''), { kind: 'ok' }),
    });
    await runner2.start();
    await waitFor(() => again.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    await runner2.stop();
    expect(again).toEqual(['d']);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('consumer runner topic discovery (real Kafka)', () => {
  it('consumes topics that appear while it runs (a partner granted access), without a restart by hand', async () => {
    const base = `${prefix}disc.`;
    const first = `${base}a`;
    await ensureTopics(kafka, [
      { name: first, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    const seen: string[] = [];
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}disc-g`,
      topics: [first],
      discover: { list: () => listTopics(kafka, (t) => t.startsWith(base)), intervalMs: 200 },
      stepName: 'disc',
      step: async (m) => (seen.push(`${m.topic}:${m.value?.toString() ?? ''}`), ok),
      producer,
      deadLetterTopic: dlq,
      logger,
      metrics: createStepMetrics(createRegistry('disc')),
    });
    await runner.start();
    try {
      await producer.send({ topic: first, messages: [{ value: '1' }] });
      await waitFor(() => seen.length === 1);
      const later = `${base}b`;
      await ensureTopics(kafka, [
        { name: later, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
      ]);
      await producer.send({ topic: later, messages: [{ value: '2' }] });
      await waitFor(() => seen.length === 2);
      expect([...runner.topics()].sort()).toEqual([first, later]);
      // Nothing consumed twice across the re-subscription.
      await producer.send({ topic: first, messages: [{ value: '3' }] });
      await waitFor(() => seen.length === 3);
      await new Promise((r) => setTimeout(r, 500));
      expect(seen.sort()).toEqual([`${first}:1`, `${first}:3`, `${later}:2`]);
    } finally {
      await runner.stop();
    }
  });
});

describe('consumer runner static membership (real Kafka)', () => {
  it("joins with the connection's instance id; a second runner of the group in this process takes <id>-2", async () => {
    const staticTopic = `${prefix}static`;
    await ensureTopics(kafka, [
      { name: staticTopic, partitions: 2, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    const instanceKafka = createKafka({
      brokers,
      clientId: 'runner-test',
      logger,
      credentials: credentialsFromEnvironment(),
      groupInstanceId: 'pod-0',
    });
    const groupId = `${prefix}static-g`;
    const seen: string[] = [];
    const make = () =>
      createConsumerRunner({
        kafka: instanceKafka,
        groupId,
        topics: [staticTopic],
        stepName: 'static',
        step: async (m) => (seen.push(m.value?.toString() ?? ''), ok),
        producer,
        deadLetterTopic: dlq,
        logger,
        metrics: createStepMetrics(createRegistry('static')),
      });
    const ids = async () =>
      (await describeGroupMembers(kafka, groupId)).map((m) => m.groupInstanceId ?? '').sort();
    const [a, b] = [make(), make()];
    await a.start();
    await b.start();
    try {
      await waitForAsync(async () => (await ids()).join() === 'pod-0,pod-0-2');
      await producer.send({
        topic: staticTopic,
        messages: ['1', '2', '3', '4'].map((v) => ({ key: v, value: v })),
      });
      await waitFor(() => seen.length === 4);
      // Stopped, the first leaves the group and frees its id: a runner started next takes it again.
      await a.stop();
      const c = make();
      await c.start();
      await waitForAsync(async () => (await ids()).join() === 'pod-0,pod-0-2');
      await c.stop();
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(seen.sort()).toEqual(['1', '2', '3', '4']);
  });

  it('recognises the broker fencing a member whose instance id another joined with, however wrapped', () => {
    const fenced = { apiId: 'FENCED_INSTANCE_ID', apiCode: 82 };
    expect(isFencedInstance(fenced)).toBe(true);
    expect(isFencedInstance({ message: 'response', errors: [{ apiId: 'NONE' }, fenced] })).toBe(true);
    expect(isFencedInstance({ message: 'join failed', errors: [{ errors: [{ apiCode: 82 }] }] })).toBe(true);
    expect(isFencedInstance(new Error('x', { cause: fenced }))).toBe(true);
    expect(isFencedInstance({ apiId: 'UNKNOWN_MEMBER_ID', apiCode: 25 })).toBe(false);
    expect(isFencedInstance(undefined)).toBe(false);
  });
});

async function waitForAsync(cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('consumer runner metrics (real Kafka)', () => {
  it("records each message's age from its Kafka timestamp, and every outcome's series from the start", async () => {
    const ageTopic = `${prefix}age`;
    await ensureTopics(kafka, [
      { name: ageTopic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    const registry = createRegistry('age');
    const seen: string[] = [];
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}age-g`,
      topics: [ageTopic],
      stepName: 'age',
      step: async (m) => (seen.push(m.value?.toString() ?? ''), ok),
      producer,
      deadLetterTopic: dlq,
      logger,
      metrics: createStepMetrics(registry),
    });
    // Before any message: a dead-letter count of 0, so the first dead letter shows as an increase.
    expect(await registry.getSingleMetricAsString('mod_step_outcomes_total')).toContain(
      'mod_step_outcomes_total{step="age",outcome="dlq",service="age"} 0',
    );
    // One record produced two minutes ago (its CreateTime), one now.
    await producer.send({
      topic: ageTopic,
      messages: [
        { value: 'old', timestamp: Date.now() - 120_000 },
        { value: 'new', timestamp: Date.now() },
      ],
    });
    await runner.start();
    try {
      await waitFor(() => seen.length === 2);
    } finally {
      await runner.stop();
    }
    const histogram = registry.getSingleMetric('mod_step_message_age_seconds') as
      | Histogram<'step' | 'le'>
      | undefined;
    const age = await histogram?.get();
    const value = (name: string, le?: number) =>
      age?.values.find((v) => v.metricName === name && (le === undefined || v.labels['le'] === le))?.value;
    expect(value('mod_step_message_age_seconds_count')).toBe(2);
    expect(value('mod_step_message_age_seconds_sum')).toBeGreaterThanOrEqual(120);
    expect(value('mod_step_message_age_seconds_sum')).toBeLessThan(120 + 60);
    expect(value('mod_step_message_age_seconds_bucket', 60)).toBe(1);
    expect(value('mod_step_message_age_seconds_bucket', 300)).toBe(2);
  });

  it('counts a clock ahead of ours, or a missing timestamp, as age 0', () => {
    expect(messageAgeSeconds(1000, 3500)).toBe(2.5);
    expect(messageAgeSeconds(5000, 3500)).toBe(0);
    expect(messageAgeSeconds(0, 3500)).toBe(0);
    expect(messageAgeSeconds(Number.NaN, 3500)).toBe(0);
  });
});

describe('consumer runner traces (real Kafka)', () => {
  it('processes each message in a consumer span under its traceparent; what the step publishes carries the trace on', async () => {
    const inTopic = `${prefix}trace-in`;
    const outTopic = `${prefix}trace-out`;
    const partnerTopic = `${prefix}trace-partner`;
    await ensureTopics(kafka, [
      { name: inTopic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
      { name: outTopic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
      { name: partnerTopic, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ service: 'runner-test', exporter });
    const traceId = randomBytes(16).toString('hex');
    const upstreamSpan = randomBytes(8).toString('hex');
    await producer.send({
      topic: inTopic,
      messages: [
        { key: 'traced', value: 'traced', headers: { traceparent: `00-${traceId}-${upstreamSpan}-01` } },
        { key: 'malformed', value: 'malformed', headers: { traceparent: 'garbage' } },
        { key: 'bad', value: 'bad' },
      ],
    });
    // A partner's topic: its writer is outside the system.
    await producer.send({
      topic: partnerTopic,
      messages: [
        { key: 'partner', value: 'partner', headers: { traceparent: `00-${traceId}-${upstreamSpan}-01` } },
      ],
    });
    const seen: string[] = [];
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}trace-g`,
      topics: [inTopic],
      discover: { list: async () => [partnerTopic], intervalMs: 60_000 },
      stepName: 'relay-test',
      step: async (m) => {
        const v = m.value?.toString() ?? '';
        if (v === 'bad') throw new ModError('MOD_ERR_TEST_BAD_INPUT', 'never works');
        // Published inside the step, with no trace header of its own.
        await producer.send({ topic: outTopic, messages: [{ key: v, value: v }] });
        seen.push(v);
        return ok;
      },
      producer,
      deadLetterTopic: dlq,
      logger,
      metrics: createStepMetrics(createRegistry('trace')),
      tracer: tracing.tracer,
    });
    await runner.start();
    try {
      await waitFor(() => seen.length === 3 && exporter.getFinishedSpans().length === 4);
    } finally {
      await runner.stop();
    }
    const spans = exporter.getFinishedSpans();
    const span = (key: string) => spans.find((s) => s.attributes['messaging.kafka.message.key'] === key);
    const traced = span('traced');
    expect(traced?.name).toBe('relay-test');
    expect(traced?.kind).toBe(SpanKind.CONSUMER);
    expect(traced?.spanContext().traceId).toBe(traceId);
    expect(traced?.parentSpanContext?.spanId).toBe(upstreamSpan);
    expect(traced?.attributes['messaging.destination.name']).toBe(inTopic);
    expect(traced?.attributes['mod.outcome']).toBe('ok');
    // A malformed header starts a trace of its own instead of failing the message.
    expect(span('malformed')?.parentSpanContext).toBeUndefined();
    expect(span('malformed')?.spanContext().traceId).not.toBe(traceId);
    // A partner's context is linked, never adopted: its message starts a trace of ours.
    const partner = span('partner');
    expect(partner?.parentSpanContext).toBeUndefined();
    expect(partner?.spanContext().traceId).not.toBe(traceId);
    expect(partner?.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [traceId, upstreamSpan],
    ]);
    // A dead-lettered message's span says so.
    expect(span('bad')?.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(span('bad')?.attributes['mod.outcome']).toBe('dlq');

    const out = await readTopic(kafka, outTopic, (r) => r.length >= 2, 20_000);
    const header = (key: string) => out.find((r) => r.key === key)?.headers['traceparent']?.toString();
    expect(header('traced')).toBe(`00-${traceId}-${traced?.spanContext().spanId}-01`);
    expect(header('malformed')).toBe(
      `00-${span('malformed')?.spanContext().traceId}-${span('malformed')?.spanContext().spanId}-01`,
    );
    // The dead letter carries the trace of the message that failed.
    const letters = await readTopic(kafka, dlq, (r) => r.some((l) => l.key === 'bad'), 20_000);
    expect(letters.find((l) => l.key === 'bad')?.headers['traceparent']?.toString()).toContain(
      span('bad')?.spanContext().spanId ?? 'none',
    );
    await tracing.shutdown();
  });
});

describe('consumer runner stop (real Kafka)', () => {
  it('stops promptly even when the stop arrives while it re-subscribes to topics that appeared', async () => {
    const base = `${prefix}flip.`;
    await ensureTopics(
      kafka,
      ['a', 'b'].map((t) => ({
        name: `${base}${t}`,
        partitions: 1,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete' as const,
      })),
    );
    for (let round = 0; round < 6; round++) {
      // The discovered set changes at every look, so the runner is nearly always re-subscribing.
      let flip = false;
      const runner = createConsumerRunner({
        kafka,
        groupId: `${prefix}flip-g${round}`,
        topics: [`${base}a`],
        discover: {
          list: async () => {
            flip = !flip;
            return flip ? [`${base}b`] : [];
          },
          intervalMs: 20,
        },
        stepName: 'flip',
        step: async () => ok,
        producer,
        deadLetterTopic: dlq,
        logger,
        metrics: createStepMetrics(createRegistry('flip')),
      });
      await runner.start();
      await new Promise((r) => setTimeout(r, 150 + round * 70));
      const stopped = await Promise.race([
        runner.stop().then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
      ]);
      expect(stopped, `round ${round}: stop() still waiting after 20 s`).toBe(true);
    }
  });
});
