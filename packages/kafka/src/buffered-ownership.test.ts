import { describe, expect, it } from 'vitest';
import { MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import { newConsumer } from './consumer.js';
import { pumpRecords } from './pump.js';
import { committedOffsets, freshTopics, sendBatch } from './runner-fold.test-helper.js';
import { logger, waitFor } from './runner.test-helper.js';

const values = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v${from + i}`);

describe('records the stream buffered before two joins, read by the pump after them (real Kafka)', () => {
  it('are not processed as fetched in the ownership the joins gave: nothing is committed past the record held', async () => {
    const t = await freshTopics('buffered-ownership-test', { partitions: 2 });
    const group = `${t.prefix}g`;
    for (const p of [0, 1]) await sendBatch(t.kafka, t.topic, values(0, 2), p);
    // The stream buffers every record it fetches (highWaterMark), the pump's queue takes one: the rest waits in the
    // stream's buffer, as it does behind a full 32 MiB queue.
    const a = newConsumer(t.kafka, group, { maxWaitTime: 1_000, highWaterMark: 1_000 });
    const b = newConsumer(t.kafka, group, { maxWaitTime: 1_000 });
    let joins = 0;
    a.on('consumer:group:join', () => joins++);
    let stopping = false;
    let opened = false;
    let held: string | undefined;
    const started = new Set<string>();
    const processed = new Set<string>();
    try {
      const stream = await a.consume({
        topics: [t.topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      });
      const pumped = pumpRecords({
        stream,
        consumer: a,
        isStopping: () => stopping,
        // Each step waits until the test opens (the held record for ever), a partition taken or not: false once stopped.
        process: async (m) => {
          const key = `${m.partition}:${m.offset}`;
          started.add(key);
          while (!opened || held === key) {
            if (stopping) return false;
            await new Promise((r) => setTimeout(r, 20));
          }
          processed.add(key);
          return true;
        },
        settle: async () => undefined,
        abandon: () => undefined,
        concurrency: 4,
        queueBytes: 1,
        observeAge: () => undefined,
        log: logger,
      });
      // Records 0 and 1 of each partition are in flight; the rest, sent now, wait in the stream's buffer.
      await waitFor(() => started.size === 4);
      for (const p of [0, 1]) await sendBatch(t.kafka, t.topic, values(2, 20), p);
      await waitFor(() => stream.readableLength >= 34);
      // A member joins and takes a partition (`moved`), then leaves: `a` joins twice, given it back.
      const joined = joins;
      const bStream = await b.consume({
        topics: [t.topic],
        mode: MessagesStreamModes.LATEST,
        autocommit: false,
      });
      await waitFor(() => joins >= joined + 1 && (b.assignments?.[0]?.partitions.length ?? 0) === 1);
      const moved = b.assignments![0]!.partitions[0]!;
      await bStream.close();
      await b.close();
      await waitFor(() => joins >= joined + 2 && a.assignments?.[0]?.partitions.length === 2);
      // The first record of the moved partition, read again from its start (no commit), keeps its step retrying (as
      // does the one in flight since before the joins).
      held = `${moved}:0`;
      opened = true;
      await waitFor(() =>
        Array.from({ length: 19 }, (_, i) => `${moved}:${i + 1}`).every((k) => processed.has(k)),
      );
      stopping = true;
      await stream.close();
      await pumped;
      // Before: the records of `moved` fetched before the joins (2 to 19), still in the stream's buffer, were stamped
      // with the ownership the second join gave as the pump read them, processed ahead of the records read again from
      // the start, and 20 was committed, record 0 never processed.
      expect((await committedOffsets(t.kafka, group, t.topic)).get(moved) ?? -1n).toBe(-1n);
      expect(processed.has(`${moved}:0`)).toBe(false);
    } finally {
      stopping = true;
      opened = true;
      await b.close(true).catch(() => undefined);
      await a.close(true);
    }
  }, 120_000);
});
