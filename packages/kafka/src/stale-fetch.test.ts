import { describe, expect, it } from 'vitest';
import { MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import { ensureTopics } from './admin.js';
import { interceptStreamFetches, type FetchCallback } from './client-internals.js';
import { newConsumer } from './consumer.js';
import { sendBatch } from './runner-fold.test-helper.js';
import { waitFor } from './runner.test-helper.js';
import { testKafka, testTopic, testTopicPrefix } from './testing.test-helper.js';

const kafka = testKafka('stale-fetch-test');
const prefix = testTopicPrefix(kafka);
const values = (from: number) => Array.from({ length: 10 }, (_, i) => `v${from + i}`);

describe('a fetch of an ordinary stream answered after two group joins (real Kafka)', () => {
  it('is dropped: the stream reads on from the positions the joins gave (the group commit), not from that answer', async () => {
    const topic = `${prefix}in`;
    const other = `${prefix}other`;
    const group = `${prefix}g`;
    await ensureTopics(kafka, [testTopic(topic), testTopic(other)]);
    await sendBatch(kafka, topic, values(0), 0);
    const a = newConsumer(kafka, group, { maxWaitTime: 1_000 });
    // The broker's answers of the stream's fetches, held by the test once `holding` (as a long poll that spans the
    // joins is), when they bring records.
    let holding = false;
    let held: { callback: FetchCallback; error: Error | null; response?: unknown } | undefined;
    interceptStreamFetches(a, (fetch) => (options, callback) => {
      if (callback === undefined) return fetch(options, callback);
      return fetch(options, (error, response) => {
        const records = response?.responses.some((t) =>
          t.partitions.some((p) => (p.records?.length ?? 0) > 0),
        );
        if (holding && held === undefined && error === null && records === true) {
          held = { callback, error, response };
          return;
        }
        callback(error, response);
      });
    });
    let joins = 0;
    a.on('consumer:group:join', () => joins++);
    const b = newConsumer(kafka, group);
    const read: bigint[] = [];
    try {
      const stream = await a.consume({
        topics: [topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      });
      stream.on('data', (m: { offset: bigint }) => read.push(m.offset));
      await waitFor(() => read.length === 10);
      await a.commit({ offsets: [{ topic, partition: 0, offset: 5n, leaderEpoch: -1 }] });
      holding = true;
      await sendBatch(kafka, topic, values(10), 0);
      await waitFor(() => held !== undefined, 30_000);
      // A member joins (subscribed to another topic: `a` keeps the partition) and leaves: `a` joins twice.
      const joined = joins;
      const bStream = await b.consume({
        topics: [other],
        mode: MessagesStreamModes.LATEST,
        autocommit: false,
      });
      await waitFor(() => joins >= joined + 1, 30_000);
      await bStream.close();
      await b.close();
      await waitFor(() => joins >= joined + 2, 30_000);
      // The joins' offsets refresh (from the commit, 5) is done once the stream's positions say so.
      await waitFor(() => stream.offsetsToFetch.get(`${topic}:0`) === 5n, 30_000);
      expect(read).toHaveLength(10);
      const answer = held!;
      answer.callback(answer.error, answer.response as never);
      await waitFor(() => read.length > 10, 30_000);
      // Before: the answer held across the joins was pushed (records 10 to 19, from the position before them), and
      // the records 5 to 9 the commit said to read again never came.
      expect(read[10]).toBe(5n);
      await stream.close();
    } finally {
      await b.close(true).catch(() => undefined);
      await a.close(true);
    }
  }, 120_000);
});
