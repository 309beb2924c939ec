import { describe, expect, it } from 'vitest';
import { Codecs, ModError } from '@mod/contracts';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import { createConsumerRunner, ensureTopics, listTopics, ok, type StepOutcome } from './index.js';
import { readTopic, testTopic } from './testing.test-helper.js';
import { logger, runnerTestKit, waitFor } from './runner.test-helper.js';

const kit = runnerTestKit((prefix) => [testTopic(`${prefix}in`, 2)]);
const { kafka, prefix, dlq } = kit;
const topic = `${prefix}in`;

describe('consumer runner (real Kafka)', () => {
  it('processes, retries outages, dead-letters bad input, and resumes after a restart without reprocessing', async () => {
    const values = ['a', 'bad', 'b', 'flaky', 'c'];
    await kit.producer.send({ topic, messages: values.map((v) => ({ key: 'k', value: v })) });
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
      producer: kit.producer,
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
    await kit.producer.send({ topic, messages: [{ key: 'k', value: 'd' }] });
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

describe('consumer runner topic discovery (real Kafka)', () => {
  it('consumes topics that appear while it runs (a partner granted access), without a restart by hand', async () => {
    const base = `${prefix}disc.`;
    const first = `${base}a`;
    await ensureTopics(kafka, [testTopic(first)]);
    const seen: string[] = [];
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}disc-g`,
      topics: [first],
      discover: { list: () => listTopics(kafka, (t) => t.startsWith(base)), intervalMs: 200 },
      stepName: 'disc',
      step: async (m) => (seen.push(`${m.topic}:${m.value?.toString() ?? ''}`), ok),
      producer: kit.producer,
      deadLetterTopic: dlq,
      logger,
      metrics: createStepMetrics(createRegistry('disc')),
    });
    await runner.start();
    try {
      await kit.producer.send({ topic: first, messages: [{ value: '1' }] });
      await waitFor(() => seen.length === 1);
      const later = `${base}b`;
      await ensureTopics(kafka, [testTopic(later)]);
      await kit.producer.send({ topic: later, messages: [{ value: '2' }] });
      await waitFor(() => seen.length === 2);
      expect([...runner.topics()].sort()).toEqual([first, later]);
      // Nothing consumed twice across the re-subscription.
      await kit.producer.send({ topic: first, messages: [{ value: '3' }] });
      await waitFor(() => seen.length === 3);
      await new Promise((r) => setTimeout(r, 500));
      expect(seen.sort()).toEqual([`${first}:1`, `${first}:3`, `${later}:2`]);
    } finally {
      await runner.stop();
    }
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
        producer: kit.producer,
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
