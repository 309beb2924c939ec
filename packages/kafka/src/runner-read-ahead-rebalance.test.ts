import { describe, expect, it } from 'vitest';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import { withAdmin } from './admin.js';
import { createProducer } from './producer.js';
import { createConsumerRunner, type ConsumerRunner } from './runner.js';
import type { ConsumedMessage, StepOutcome } from './step.js';
import {
  committedOffsets,
  freshTopics,
  sendBatch,
  startFoldRunner,
  type FoldTopics,
} from './runner-fold.test-helper.js';
import { logger, waitFor, waitForAsync } from './runner.test-helper.js';

const value = (p: number, i: number) => `${p}:${i}:`.padEnd(300, 'x');
const batchOf = (p: number, from: number) => Array.from({ length: 10 }, (_, i) => value(p, from + i));
const keyOf = (m: { partition: number; offset: string }) => `${m.partition}:${m.offset}`;

/**
 * A topic of two partitions of ten 300-byte records, and a runner with an 8 KiB read-ahead whose two steps retry until
 * `open`: it reads both partitions' ten records (about 7.3 KB), starts the first of each, and its next fetch waits
 * for room (more than half the read-ahead held). Ten more records each are sent; a second member takes one partition
 * (`moved`), processes none of it (its step holds it) and leaves, and the first is given it back, the group holding no
 * commit of it. `then` goes on from there, with `hold(key)` to keep one record's step retrying once open; the runner
 * is stopped after it either way.
 */
async function takenAndGivenBack(
  clientId: string,
  then: (o: {
    t: FoldTopics;
    group: string;
    first: ConsumerRunner;
    moved: number;
    open: (hold?: string) => void;
    processed: ReadonlySet<string>;
  }) => Promise<void>,
): Promise<void> {
  const t = await freshTopics(clientId, { partitions: 2 });
  const group = `${t.prefix}g`;
  for (const p of [0, 1]) await sendBatch(t.kafka, t.topic, batchOf(p, 0), p);
  let opened = false;
  let held: string | undefined;
  const started = new Set<string>();
  const processed = new Set<string>();
  const producer = await createProducer(t.kafka);
  const first = createConsumerRunner({
    kafka: t.kafka,
    groupId: group,
    topics: [t.topic],
    stepName: 'test',
    step: async (m: ConsumedMessage): Promise<StepOutcome> => {
      started.add(keyOf(m));
      if (!opened || held === keyOf(m)) return { kind: 'retry', error: new Error('held by the test') };
      processed.add(keyOf(m));
      return { kind: 'ok' };
    },
    producer,
    deadLetterTopic: t.dlq,
    logger,
    metrics: createStepMetrics(createRegistry('test')),
    readAheadBytes: 8192,
    maxInFlight: 2,
    retryDelayMs: 20,
    maxRetryDelayMs: 100,
  });
  let second: Awaited<ReturnType<typeof startFoldRunner>> | undefined;
  try {
    await first.start();
    await waitFor(() => started.size === 2 && first.readAhead().heldBytes > 4096);
    for (const p of [0, 1]) await sendBatch(t.kafka, t.topic, batchOf(p, 10), p);
    const taken = new Set<number>();
    second = await startFoldRunner(t, {
      step: async (m) => {
        taken.add((m as { partition: number }).partition);
        return { kind: 'retry', error: new Error('held by the test') };
      },
    });
    await waitFor(() => taken.size > 0);
    await second.stop();
    await waitForAsync(async () => {
      const described = await withAdmin(t.kafka, (admin) => admin.describeGroups({ groups: [group] }));
      const g = described.get(group);
      const [member] = [...(g?.members.values() ?? [])];
      const owned = member?.assignments?.get(t.topic)?.partitions ?? [];
      return g?.state === 'Stable' && g.members.size === 1 && owned.length === 2;
    });
    const open = (hold?: string) => {
      held = hold;
      opened = true;
    };
    await then({ t, group, first, moved: [...taken][0] ?? 0, open, processed });
  } finally {
    opened = true;
    await second?.stop();
    await first.stop();
    await producer.disconnect();
  }
}

describe('a media runner whose fetch waits for read-ahead room while partitions move (real Kafka)', () => {
  it('a partition taken and given back while its fetch waited is read again from the commit, not from where that fetch was', async () => {
    await takenAndGivenBack(
      'runner-read-ahead-rebalance-test',
      async ({ t, group, moved, open, processed }) => {
        open();
        await waitForAsync(async () => {
          const committed = await committedOffsets(t.kafka, group, t.topic);
          return committed.get(0) === 20n && committed.get(1) === 20n;
        }, 60_000);
        // Before: the fetch the first runner asked for before the rebalances went out once room was made, from where it
        // had read (10) on the partition given back, past the records the stream was set to read again from the start:
        // those it had read of it and not processed before it was taken (4 to 10 of them, by run) were never processed,
        // and 20 was committed past them.
        const missing = Array.from({ length: 20 }, (_, i) => `${moved}:${i}`).filter(
          (k) => !processed.has(k),
        );
        expect(missing).toEqual([]);
      },
    );
  }, 120_000);

  it('records read before their partition was taken and given back are not started as if read again: nothing is committed past the record stopped when it was taken', async () => {
    await takenAndGivenBack(
      'runner-regained-queue-test',
      async ({ t, group, first, moved, open, processed }) => {
        // The record of the partition given back that the runner was retrying when it was taken stopped there (its new
        // owner's); it is read again, and its step keeps retrying while the others are processed.
        open(`${moved}:0`);
        await waitFor(() =>
          Array.from({ length: 19 }, (_, i) => `${moved}:${i + 1}`).every((k) => processed.has(k)),
        );
        await first.stop();
        // Before: the nine records read after it, waiting in the runner's queue when the partition was taken, started
        // once it was given back as if read in the new ownership, and 10 was committed, record 0 still unprocessed.
        expect((await committedOffsets(t.kafka, group, t.topic)).get(moved) ?? -1n).toBe(-1n);
        expect(processed.has(`${moved}:0`)).toBe(false);
      },
    );
  }, 120_000);
});
