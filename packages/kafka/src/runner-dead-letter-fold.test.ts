import { describe, expect, it } from 'vitest';
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Codecs, ModError, type DeadLetter } from '@mod/contracts';
import { createRegistry, createStepMetrics, type Registry } from '@mod/telemetry';
import {
  alterTopicConfig,
  createConsumerRunner,
  createProducer,
  DEAD_LETTERS_FOLDED,
  ensureTopics,
  type ConsumerRunnerOptions,
  type Kafka,
  type Producer,
  type StepOutcome,
} from './index.js';
import { readTopic, testKafka, testTopic } from './testing.test-helper.js';
import { logger, waitForAsync } from './runner.test-helper.js';

/** A connection, an input topic (a partner's, as the runner is told) and a dead-letter topic of the test's own. */
async function freshTopics(clientId: string, dlqMaxMessageBytes?: number) {
  const kafka = testKafka(clientId);
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const topic = `${prefix}in`;
  const dlq = `${prefix}dlq`;
  await ensureTopics(kafka, [testTopic(topic)]);
  await ensureTopics(
    kafka,
    [testTopic(dlq)],
    dlqMaxMessageBytes === undefined ? {} : { maxMessageBytes: dlqMaxMessageBytes },
  );
  return { kafka, prefix, topic, dlq };
}

/** Sends `values` as one zstd record batch, as a partner's own producer may (keys: their index). */
async function sendBatch(kafka: Kafka, topic: string, values: readonly string[]): Promise<void> {
  const raw = new PlatformaticProducer({ ...kafka.base, compression: 'zstd' });
  try {
    await raw.send({
      messages: values.map((v, i) => ({ topic, key: Buffer.from(String(i)), value: Buffer.from(v) })),
    });
  } finally {
    await raw.close();
  }
}

/** A step that dead-letters `bad-<CODE>` with MOD_ERR_TEST_<CODE> and counts the rest it sees. */
function countingStep() {
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

/** Runs a runner over `topic` (the tenant `platform-a`'s own) with `deadLetters` until `done()`; stopped either way. */
async function runUntil(
  t: { kafka: Kafka; topic: string; dlq: string; prefix: string },
  o: Pick<ConsumerRunnerOptions, 'step' | 'deadLetters'> & {
    done: () => boolean | Promise<boolean>;
    registry?: Registry;
    /** What the runner is given as its producer (default the producer itself). */
    producer?: (p: Producer) => Producer;
  },
): Promise<void> {
  const producer = await createProducer(t.kafka);
  const runner = createConsumerRunner({
    kafka: t.kafka,
    groupId: `${t.prefix}g`,
    topics: [t.topic],
    tenantOf: (topic) => (topic === t.topic ? 'platform-a' : null),
    stepName: 'test',
    step: o.step,
    producer: o.producer?.(producer) ?? producer,
    deadLetterTopic: t.dlq,
    ...(o.deadLetters === undefined ? {} : { deadLetters: o.deadLetters }),
    logger,
    metrics: createStepMetrics(o.registry ?? createRegistry('test')),
    retryDelayMs: 20,
    maxRetryDelayMs: 100,
  });
  await runner.start();
  try {
    await waitForAsync(async () => o.done(), 60_000);
  } finally {
    await runner.stop();
    await producer.disconnect();
  }
}

/** Runs `countingStep` with `deadLetters` until it sees the good record `until`; what it saw. */
async function runCounting(
  t: { kafka: Kafka; topic: string; dlq: string; prefix: string },
  o: Pick<ConsumerRunnerOptions, 'deadLetters'> & { until: string; registry?: Registry },
): Promise<{ good: string[]; bad: number }> {
  const { seen, step } = countingStep();
  await runUntil(t, { ...o, step, done: () => seen.good.includes(o.until) });
  return seen;
}

const lettersOf = async (kafka: Kafka, dlq: string, count: number): Promise<DeadLetter[]> =>
  (await readTopic(kafka, dlq, (r) => r.length >= count, 20_000)).map((r) =>
    Codecs.deadLetter.decode(r.value),
  );

describe('dead letters of one source, bounded (real Kafka)', () => {
  it('folds a batch of many bad records past the cap into one summary letter naming count, offsets, tenant and codes; the good records of the batch are processed', async () => {
    const t = await freshTopics('runner-fold-test');
    // 20,000 records in one zstd batch (a few kilobytes): every 1,000th good, the rest bad of two reasons.
    const values = Array.from({ length: 20_000 }, (_, i) =>
      i % 1000 === 0 ? `good-${i}` : i % 2 === 0 ? 'bad-EVEN' : 'bad-ODD',
    );
    await sendBatch(t.kafka, t.topic, values);
    await sendBatch(t.kafka, t.topic, ['last']);
    const registry = createRegistry('fold');
    const cap = 5;
    // A window longer than the test: the summary is written as the runner stops, before its last commit.
    const seen = await runCounting(t, {
      deadLetters: { perSource: cap, windowMs: 600_000 },
      until: 'last',
      registry,
    });
    expect(seen.good).toEqual([...values.filter((v) => v.startsWith('good')), 'last']);
    expect(seen.bad).toBe(19_980);
    const letters = await lettersOf(t.kafka, t.dlq, cap + 1);
    // Before: 19,980 letters. Now the first five bad records (offsets 1..5) have their own, the rest one.
    expect(letters).toHaveLength(cap + 1);
    expect(letters.slice(0, cap).map((l) => [l.sourceOffset, l.reason.code, l.folded])).toEqual([
      ['1', 'MOD_ERR_TEST_ODD', undefined],
      ['2', 'MOD_ERR_TEST_EVEN', undefined],
      ['3', 'MOD_ERR_TEST_ODD', undefined],
      ['4', 'MOD_ERR_TEST_EVEN', undefined],
      ['5', 'MOD_ERR_TEST_ODD', undefined],
    ]);
    const summary = letters[cap];
    expect(summary?.reason.code).toBe(DEAD_LETTERS_FOLDED);
    expect(summary?.sourceOffset).toBe('6');
    // Offsets 6..19,999 less the 19 good ones among them (all even): 9,978 even and 9,997 odd bad ones folded.
    expect(summary?.folded).toEqual({
      count: 19_975,
      firstOffset: '6',
      lastOffset: '19999',
      tenant: 'platform-a',
      valueBytes: 9_978 * 'bad-EVEN'.length + 9_997 * 'bad-ODD'.length,
      codes: [
        { code: 'MOD_ERR_TEST_EVEN', count: 9_978 },
        { code: 'MOD_ERR_TEST_ODD', count: 9_997 },
      ],
    });
    expect(summary?.reason.message).toMatch(
      /19975 dead letters of .*in\/0 \(tenant platform-a's own topic\)/,
    );
    expect(summary?.reason.message).toMatch(
      /offsets 6\.\.19999 \(MOD_ERR_TEST_EVEN x9978, MOD_ERR_TEST_ODD x9997\)/,
    );
    expect(await registry.getSingleMetricAsString('mod_dead_letters_folded_total')).toContain(
      'mod_dead_letters_folded_total{step="test",tenant="platform-a",service="fold"} 19975',
    );
    // Every offset, the folded ones too, was committed: the group goes on from the record after 'last'.
    await sendBatch(t.kafka, t.topic, ['after']);
    const again = await runCounting(t, { until: 'after' });
    expect([again.good, again.bad]).toEqual([['after'], 0]);
  }, 180_000);

  it('writes one letter for each of a few bad records, with the default bound', async () => {
    const t = await freshTopics('runner-fold-few-test');
    await sendBatch(t.kafka, t.topic, ['good-1', 'bad-A', 'good-2', 'bad-B', 'bad-A', 'last']);
    const seen = await runCounting(t, { until: 'last' });
    expect(seen.good).toEqual(['good-1', 'good-2', 'last']);
    const letters = await lettersOf(t.kafka, t.dlq, 3);
    expect(letters.map((l) => [l.sourceOffset, l.reason.code, l.folded])).toEqual([
      ['1', 'MOD_ERR_TEST_A', undefined],
      ['3', 'MOD_ERR_TEST_B', undefined],
      ['4', 'MOD_ERR_TEST_A', undefined],
    ]);
  }, 120_000);

  it('commits the folded records only once their summary is written: one the broker refused is read again, none lost', async () => {
    // The dead-letter topic takes a batch of one letter (about 430 bytes), not of a summary (about 760: its counts).
    const t = await freshTopics('runner-fold-refused-test', 600);
    await sendBatch(t.kafka, t.topic, [...Array.from({ length: 10 }, () => 'bad-X'), 'last']);
    // The summary is written as the runner stops; the broker refuses it, and the runner gives up on it.
    const deadLetters = { perSource: 2, windowMs: 600_000 };
    expect((await runCounting(t, { deadLetters, until: 'last' })).bad).toBe(10);
    expect((await lettersOf(t.kafka, t.dlq, 2)).map((l) => l.sourceOffset)).toEqual(['0', '1']);
    // The topic takes summaries now: a runner of the same group reads the folded records (2..9) again, and 'last'.
    await alterTopicConfig(t.kafka, t.dlq, { 'max.message.bytes': String(64 * 1024) });
    expect((await runCounting(t, { deadLetters, until: 'last' })).bad).toBe(8);
    const letters = await lettersOf(t.kafka, t.dlq, 5);
    expect(letters.map((l) => [l.sourceOffset, l.reason.code])).toEqual([
      ['0', 'MOD_ERR_TEST_X'],
      ['1', 'MOD_ERR_TEST_X'],
      ['2', 'MOD_ERR_TEST_X'],
      ['3', 'MOD_ERR_TEST_X'],
      ['4', DEAD_LETTERS_FOLDED],
    ]);
    expect(letters[4]?.folded).toMatchObject({ count: 6, firstOffset: '4', lastOffset: '9' });
  }, 120_000);

  it("writes a window's summary when the window ends, while the runner runs; every bad record is counted once", async () => {
    const t = await freshTopics('runner-fold-window-test');
    await sendBatch(t.kafka, t.topic, [...Array.from({ length: 50 }, () => 'bad-X'), 'last']);
    const { seen, step } = countingStep();
    // The records each letter stands for.
    const total = (r: readonly { value: Buffer | null }[]) =>
      r.map((l) => Codecs.deadLetter.decode(l.value)).reduce((n, l) => n + (l.folded?.count ?? 1), 0);
    // Done only once every bad record is in a letter on the topic: the windows' ends wrote the summaries, not the
    // runner's stop.
    await runUntil(t, {
      step,
      deadLetters: { perSource: 1, windowMs: 300 },
      done: async () =>
        seen.good.includes('last') &&
        total(await readTopic(t.kafka, t.dlq, (r) => total(r) >= 50, 1_000)) >= 50,
    });
    // However the records fell into windows, each bad one is in exactly one letter.
    const records = await readTopic(t.kafka, t.dlq, (r) => total(r) >= 50, 20_000);
    expect(total(records)).toBe(50);
    expect(records.some((r) => Codecs.deadLetter.decode(r.value).folded !== undefined)).toBe(true);
  }, 120_000);

  it('starts no record while maxWaiting folded records wait for their summaries: written at once, and while the broker refuses them nothing more is read', async () => {
    // The dead-letter topic takes a letter of its own (about 430 bytes), not a summary (about 760).
    const t = await freshTopics('runner-fold-waiting-test', 600);
    await sendBatch(t.kafka, t.topic, [...Array.from({ length: 1000 }, () => 'bad-X'), 'last']);
    const { seen, step } = countingStep();
    let sends = 0;
    const counting = (p: Producer): Producer => ({
      ...p,
      send: async (r) => {
        sends++;
        return p.send(r);
      },
    });
    const total = (r: readonly { value: Buffer | null }[]) =>
      r.map((l) => Codecs.deadLetter.decode(l.value)).reduce((n, l) => n + (l.folded?.count ?? 1), 0);
    // How many bad records the step had seen once the summaries had been refused five times.
    let stalledAt: number | undefined;
    await runUntil(t, {
      step,
      producer: counting,
      // A window longer than the test: only the bound on waiting records makes the summaries be written.
      deadLetters: { perSource: 1, windowMs: 600_000, maxWaiting: 50 },
      done: async () => {
        if (stalledAt === undefined) {
          // Before: no summary was written while running, and every record was read and held for its window.
          if (sends < 6) return false;
          // Five refused attempts at the summary of 50: nothing past the bound (and the one in flight) started.
          stalledAt = seen.bad;
          await alterTopicConfig(t.kafka, t.dlq, { 'max.message.bytes': String(64 * 1024) });
          return false;
        }
        return seen.good.includes('last');
      },
    });
    expect(stalledAt).toBeLessThanOrEqual(1 + 50 + 1);
    // Each bad record is in exactly one letter (the last 49 in the summary written as the runner stopped), and all
    // were committed.
    expect(total(await readTopic(t.kafka, t.dlq, (r) => total(r) >= 1000, 20_000))).toBe(1000);
    await sendBatch(t.kafka, t.topic, ['after']);
    const again = await runCounting(t, { until: 'after' });
    expect([again.good, again.bad]).toEqual([['after'], 0]);
  }, 180_000);
});
