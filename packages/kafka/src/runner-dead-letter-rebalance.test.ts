import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { readTopic } from './testing.test-helper.js';
import { waitFor } from './runner.test-helper.js';
import type { StepOutcome } from './step.js';
import {
  committedOffsets,
  countingStep,
  freshTopics,
  recordsLettered,
  sendBatch,
  startFoldRunner,
  type FoldTopics,
} from './runner-fold.test-helper.js';

type FoldRunner = Awaited<ReturnType<typeof startFoldRunner>>;

/**
 * Two partitions of ten bad records and a good one each, every bad record folded in a window longer than the test
 * (nothing of either partition is committed while the summaries wait: the good record waits behind them). A first
 * runner reads both; a second of its group then joins, and the rebalance gives it one partition, whose records its
 * step holds (retrying) until `held()` is false, so it commits nothing of it meanwhile. `then` goes on from there;
 * both runners are stopped after it either way.
 */
async function midWindowRebalance(
  clientId: string,
  held: () => boolean,
  then: (o: {
    t: FoldTopics;
    first: FoldRunner & { seen: { good: string[]; bad: number } };
    second: FoldRunner & { seen: { good: string[]; bad: number } };
    moved: number;
  }) => Promise<void>,
): Promise<void> {
  const t = await freshTopics(clientId, { partitions: 2 });
  for (const p of [0, 1])
    await sendBatch(t.kafka, t.topic, [...Array<string>(10).fill('bad-X'), `last-${p}`], p);
  const deadLetters = { perSource: 0, windowMs: 600_000 };
  const a = countingStep();
  const first = await startFoldRunner(t, { step: a.step, deadLetters });
  const b = countingStep();
  const taken = new Set<number>();
  const holding = async (m: Parameters<typeof b.step>[0] & { partition: number }): Promise<StepOutcome> => {
    taken.add(m.partition);
    return held() ? { kind: 'retry', error: new Error('held by the test') } : b.step(m);
  };
  let second: FoldRunner | undefined;
  try {
    await waitFor(() => a.seen.good.includes('last-0') && a.seen.good.includes('last-1'));
    expect(a.seen.bad).toBe(20);
    second = await startFoldRunner(t, { deadLetters, step: holding });
    await waitFor(() => taken.size > 0);
    const moved = [...taken][0] ?? 0;
    await then({ t, first: { ...first, seen: a.seen }, second: { ...second, seen: b.seen }, moved });
  } finally {
    await first.stop();
    await second?.stop();
  }
}

/**
 * Both partitions committed to their end, and one summary of each in the dead-letter topic: each bad record in
 * exactly one letter.
 */
async function expectEachLetteredOnce(t: FoldTopics): Promise<void> {
  expect(await committedOffsets(t.kafka, `${t.prefix}g`, t.topic)).toEqual(
    new Map([
      [0, 11n],
      [1, 11n],
    ]),
  );
  const records = await readTopic(t.kafka, t.dlq, (r) => recordsLettered(r) >= 20, 20_000);
  const letters = records.map((r) => Codecs.deadLetter.decode(r.value));
  expect(letters.map((l) => [l.sourcePartition, l.folded?.count]).sort()).toEqual([
    [0, 10],
    [1, 10],
  ]);
}

describe('dead letters folded while partitions move between the members of a group (real Kafka)', () => {
  it('a partition revoked while its summary waits is not committed by its old owner: the new owner reads its records again and letters each once', async () => {
    let held = true;
    await midWindowRebalance(
      'runner-fold-rebalance-test',
      () => held,
      async ({ t, first, second, moved }) => {
        // The first stops in the middle of its window: it writes the summary of the partition it kept and commits it.
        await first.stop();
        const committed = await committedOffsets(t.kafka, `${t.prefix}g`, t.topic);
        expect(committed.get(1 - moved)).toBe(11n);
        // Before: it wrote the moved partition's summary too and committed 11 there, its new owner's to commit, which
        // had not processed those records yet.
        expect(committed.get(moved) ?? -1n).toBe(-1n);
        held = false;
        await waitFor(() => second.seen.good.includes(`last-${moved}`));
        expect(second.seen.bad).toBe(10);
        await second.stop();
        // The moved partition's summary written by its new owner (before: by both).
        await expectEachLetteredOnce(t);
      },
    );
  }, 120_000);

  it('a partition given back before its new owner committed anything is read again from the start: the letters its old summary stood for are not lost', async () => {
    await midWindowRebalance(
      'runner-fold-regain-test',
      () => true,
      async ({ t, first, second, moved }) => {
        // The second leaves without finishing (nor committing) any record of the partition it took.
        await second.stop();
        // The first, given it back, abandoned its summary of it when it was taken: it reads it again from the topic's
        // start, the group having no commit of it (without that, it went on from where it had been and the ten were
        // in no letter).
        await waitFor(() => first.seen.good.filter((v) => v === `last-${moved}`).length === 2);
        expect(first.seen.bad).toBe(30);
        await first.stop();
        await expectEachLetteredOnce(t);
      },
    );
  }, 120_000);
});
