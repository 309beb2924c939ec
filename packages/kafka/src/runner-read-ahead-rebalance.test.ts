import { describe, expect, it } from 'vitest';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import { withAdmin } from './admin.js';
import { createProducer } from './producer.js';
import { createConsumerRunner } from './runner.js';
import type { StepOutcome } from './step.js';
import { committedOffsets, freshTopics, sendBatch, startFoldRunner } from './runner-fold.test-helper.js';
import { logger, waitFor, waitForAsync } from './runner.test-helper.js';

const value = (p: number, i: number) => `${p}:${i}:`.padEnd(300, 'x');
const batchOf = (p: number, from: number) => Array.from({ length: 10 }, (_, i) => value(p, from + i));

describe('a media runner whose fetch waits for read-ahead room while partitions move (real Kafka)', () => {
  it('a partition taken and given back while its fetch waited is read again from the commit, not from where that fetch was', async () => {
    const t = await freshTopics('runner-read-ahead-rebalance-test', { partitions: 2 });
    const group = `${t.prefix}g`;
    for (const p of [0, 1]) await sendBatch(t.kafka, t.topic, batchOf(p, 0), p);
    // The first runner's steps retry until `open`: it reads both partitions' ten records (about 7.3 KB of its 8 KiB),
    // starts the first of each, and its next fetch waits for room (more than half the read-ahead held).
    let opened = false;
    const open = () => (opened = true);
    const started = new Set<string>();
    const processed = new Set<string>();
    const producer = await createProducer(t.kafka);
    const first = createConsumerRunner({
      kafka: t.kafka,
      groupId: group,
      topics: [t.topic],
      stepName: 'test',
      step: async (m): Promise<StepOutcome> => {
        started.add(`${m.partition}:${m.offset}`);
        if (!opened) return { kind: 'retry', error: new Error('held by the test') };
        processed.add(`${m.partition}:${m.offset}`);
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
      // A second member takes one partition, processes none of it (its step holds it) and leaves: the first is
      // given it back, the group holding no commit of it.
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
      open();
      await waitForAsync(async () => {
        const committed = await committedOffsets(t.kafka, group, t.topic);
        return committed.get(0) === 20n && committed.get(1) === 20n;
      }, 60_000);
      // Before: the fetch the first runner asked for before the rebalances went out once room was made, from where it
      // had read (10) on the partition given back, past the records the stream was set to read again from the start:
      // those it had read of it and not processed before it was taken (4 to 10 of them, by run) were never processed,
      // and 20 was committed past them.
      const moved = [...taken][0] ?? 0;
      const missing = Array.from({ length: 20 }, (_, i) => `${moved}:${i}`).filter((k) => !processed.has(k));
      expect(missing).toEqual([]);
    } finally {
      open();
      await second?.stop();
      await first.stop();
      await producer.disconnect();
    }
  }, 120_000);
});
