import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { ModError } from '@mod/contracts';
import {
  createRegistry,
  createStepMetrics,
  createTracing,
  SpanKind,
  SpanStatusCode,
  type Histogram,
} from '@mod/telemetry';
import { createConsumerRunner, ensureTopics, ok } from './index.js';
import { readTopic, testTopic } from './testing.test-helper.js';
import { logger, runnerTestKit, waitFor } from './runner.test-helper.js';
import { messageAgeSeconds } from './step.js';

const kit = runnerTestKit();
const { kafka, prefix, dlq } = kit;

describe('consumer runner metrics (real Kafka)', () => {
  it("records each message's age from its Kafka timestamp, and every outcome's series from the start", async () => {
    const ageTopic = `${prefix}age`;
    await ensureTopics(kafka, [testTopic(ageTopic)]);
    const registry = createRegistry('age');
    const seen: string[] = [];
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}age-g`,
      topics: [ageTopic],
      stepName: 'age',
      step: async (m) => (seen.push(m.value?.toString() ?? ''), ok),
      producer: kit.producer,
      deadLetterTopic: dlq,
      logger,
      metrics: createStepMetrics(registry),
    });
    // Before any message: a dead-letter count of 0, so the first dead letter shows as an increase.
    expect(await registry.getSingleMetricAsString('mod_step_outcomes_total')).toContain(
      'mod_step_outcomes_total{step="age",outcome="dlq",service="age"} 0',
    );
    // One record produced two minutes ago (its CreateTime), one now.
    await kit.producer.send({
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
    await ensureTopics(kafka, [testTopic(inTopic), testTopic(outTopic), testTopic(partnerTopic)]);
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ service: 'runner-test', exporter });
    const traceId = randomBytes(16).toString('hex');
    const upstreamSpan = randomBytes(8).toString('hex');
    await kit.producer.send({
      topic: inTopic,
      messages: [
        { key: 'traced', value: 'traced', headers: { traceparent: `00-${traceId}-${upstreamSpan}-01` } },
        { key: 'malformed', value: 'malformed', headers: { traceparent: 'garbage' } },
        { key: 'bad', value: 'bad' },
      ],
    });
    // A partner's topic: its writer is outside the system.
    await kit.producer.send({
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
        await kit.producer.send({ topic: outTopic, messages: [{ key: v, value: v }] });
        seen.push(v);
        return ok;
      },
      producer: kit.producer,
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
