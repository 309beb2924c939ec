import { describe, expect, it } from 'vitest';
import { Codecs, type DeadLetter } from '@mod/contracts';
import { createRegistry } from '@mod/telemetry';
import { alterTopicConfig, DEAD_LETTERS_FOLDED, ensureTopics, type Producer } from './index.js';
import { readTopic, testTopic } from './testing.test-helper.js';
import {
  countingStep,
  freshTopics,
  lettersOf,
  recordsLettered,
  runCounting,
  runUntil,
  sendBatch,
} from './runner-fold.test-helper.js';

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

  it("bounds a tenant's dead letters across the partitions of its topic, and ours (no tenant) together: one summary per source partition", async () => {
    const t = await freshTopics('runner-fold-tenant-test', { partitions: 3 });
    const ours = `${t.prefix}ours`;
    await ensureTopics(t.kafka, [testTopic(ours, 2)]);
    // Ten bad records on each partition of the tenant's three and of our two, each partition's then a good one.
    for (const p of [0, 1, 2])
      await sendBatch(t.kafka, t.topic, [...Array<string>(10).fill('bad-X'), `last-${p}`], p);
    for (const p of [0, 1])
      await sendBatch(t.kafka, ours, [...Array<string>(10).fill('bad-Y'), `ours-${p}`], p);
    const { seen, step } = countingStep();
    const lasts = ['last-0', 'last-1', 'last-2', 'ours-0', 'ours-1'];
    await runUntil(t, {
      topics: [t.topic, ours],
      step,
      deadLetters: { perSource: 5, windowMs: 600_000 },
      done: () => lasts.every((l) => seen.good.includes(l)),
    });
    const letters = (await readTopic(t.kafka, t.dlq, (r) => recordsLettered(r) >= 50, 20_000)).map((r) =>
      Codecs.deadLetter.decode(r.value),
    );
    const tenantOf = (l: DeadLetter) => (l.sourceTopic === t.topic ? 'platform-a' : null);
    const singles = (tenant: string | null) =>
      letters.filter((l) => l.folded === undefined && tenantOf(l) === tenant).length;
    // Before: five per partition, 15 of the tenant's and 10 of ours.
    expect([singles('platform-a'), singles(null)]).toEqual([5, 5]);
    const summaries = letters.filter((l) => l.folded !== undefined);
    // Folded per source partition (their offsets are committed each on its own), at most one each here.
    const where = summaries.map((l) => `${l.sourceTopic}/${l.sourcePartition}`);
    expect(new Set(where).size).toBe(where.length);
    const folded = (tenant: string | null) =>
      summaries.filter((l) => l.folded?.tenant === tenant).reduce((n, l) => n + (l.folded?.count ?? 0), 0);
    expect([folded('platform-a'), folded(null)]).toEqual([25, 15]);
    expect(summaries.every((l) => l.folded?.tenant === tenantOf(l))).toBe(true);
    for (const l of summaries)
      expect(l.reason.message).toMatch(
        l.folded?.tenant === null
          ? /past the 5 of our own topics within 600000 ms .*: 5 letters of their own and 15 folded/
          : /past the 5 of tenant platform-a within 600000 ms .*: 5 letters of their own and 25 folded/,
      );
    // Each bad record in exactly one letter.
    expect(letters.reduce((n, l) => n + (l.folded?.count ?? 1), 0)).toBe(50);
  }, 120_000);

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
    const t = await freshTopics('runner-fold-refused-test', { dlqMaxMessageBytes: 600 });
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
    const total = recordsLettered;
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
    const t = await freshTopics('runner-fold-waiting-test', { dlqMaxMessageBytes: 600 });
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
    const total = recordsLettered;
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
