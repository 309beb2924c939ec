import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER, largestValueBytes, singleRecordBatchBytes, varintBytes } from '@mod/contracts';
import {
  alterTopicConfig,
  createProducer,
  ensureTopics,
  groupInstanceIdFor,
  largestMediaBytes,
  readToEnd,
  requireTopics,
  topicMaxMessageBytes,
  type Producer,
} from './index.js';
import { testKafka, testTopic } from './testing.test-helper.js';

const kafka = testKafka('client-test');
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
const topic = `${prefix}sized`;
const MAX = 64 * 1024;
let producer: Producer;

beforeAll(async () => {
  await ensureTopics(kafka, [testTopic(topic)]);
  await alterTopicConfig(kafka, topic, { 'max.message.bytes': String(MAX) });
  producer = await createProducer(kafka);
});
afterAll(async () => producer?.disconnect());

describe('record sizes (pure)', () => {
  it('counts zig-zag varints as Kafka writes them', () => {
    expect([0, 63, 64, 8191, 8192, 1_048_575, 1_048_576].map(varintBytes)).toEqual([1, 1, 2, 2, 3, 3, 4]);
  });

  it('finds the largest value that fits, across varint boundaries', () => {
    for (const max of [300, 1000, 70_000, 16 * 1024 * 1024]) {
      const shape = { keyBytes: 36, headers: [{ keyBytes: 8, valueBytes: 120 }] };
      const v = largestValueBytes(max, shape);
      expect(singleRecordBatchBytes({ ...shape, valueBytes: v })).toBeLessThanOrEqual(max);
      expect(singleRecordBatchBytes({ ...shape, valueBytes: v + 1 })).toBeGreaterThan(max);
    }
    expect(largestValueBytes(50, { keyBytes: 36, headers: [] })).toBe(-1);
  });
});

describe('producer', () => {
  it('coalesces concurrent sends in their order, and a bad message in a coalesced request fails only its sender', async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const sends = Array.from({ length: 40 }, (_, i) =>
      producer.send({ topic, messages: [{ key: `${run}-${i}`, value: `m${i}` }] }),
    );
    // Larger than the topic takes: queued among the others, refused alone.
    const tooLarge = producer.send({ topic, messages: [{ key: `${run}-big`, value: randomBytes(MAX + 1) }] });
    const more = Array.from({ length: 10 }, (_, i) =>
      producer.send({ topic, messages: [{ key: `${run}-${40 + i}`, value: `m${40 + i}` }] }),
    );
    await expect(tooLarge).rejects.toMatchObject({ code: 'MOD_ERR_KAFKA_PRODUCE', retriable: true });
    await Promise.all([...sends, ...more]);
    const mine = (await readToEnd(kafka, topic)).filter((r) => r.key?.startsWith(`${run}-`));
    expect(mine.map((r) => r.key)).toEqual(Array.from({ length: 50 }, (_, i) => `${run}-${i}`));
  });
});

describe('record sizes against the real broker', () => {
  it("accepts a record of exactly the topic's max.message.bytes and refuses one byte more", async () => {
    expect(await topicMaxMessageBytes(kafka, topic)).toBe(MAX);
    const key = 'k'.repeat(36);
    const meta = Buffer.from(JSON.stringify({ eventId: crypto.randomUUID(), pad: 'x'.repeat(100) }));
    // A media record as producers write it: the event header and the trace context of the upload.
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const headers = [
      { keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: meta.length },
      { keyBytes: Buffer.byteLength('traceparent'), valueBytes: traceparent.length },
    ];
    const fits = largestValueBytes(MAX, { keyBytes: 36, headers });
    expect(singleRecordBatchBytes({ keyBytes: 36, valueBytes: fits, headers })).toBe(MAX);
    const send = (valueBytes: number) =>
      producer.send({
        topic,
        messages: [
          { key, value: randomBytes(valueBytes), headers: { [MEDIA_META_HEADER]: meta, traceparent } },
        ],
      });
    await expect(send(fits)).resolves.toBeUndefined();
    await expect(send(fits + 1)).rejects.toThrow(/too large|larger than/i);
    // What producers of media size themselves by: the largest value with the largest header they write.
    expect(largestMediaBytes(await topicMaxMessageBytes(kafka, topic), meta.length)).toBe(fits);
  });

  it('names every missing topic at once when a service starts without its topics', async () => {
    await expect(requireTopics(kafka, [topic, `${prefix}nope-1`, `${prefix}nope-2`])).rejects.toMatchObject({
      code: 'MOD_ERR_KAFKA_TOPIC_MISSING',
      retriable: true,
      message: expect.stringMatching(/nope-1, .*nope-2/) as string,
    });
  });

  it('waits for topics made after a service started (with its broker and the set-up job), up to waitMs', async () => {
    const late = `${prefix}late`;
    const waiting = requireTopics(kafka, [topic, late], { waitMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_000));
    await ensureTopics(kafka, [testTopic(late, 2)]);
    await expect(waiting).resolves.toBeUndefined();
    const started = Date.now();
    await expect(requireTopics(kafka, [`${prefix}never`], { waitMs: 1_000 })).rejects.toMatchObject({
      code: 'MOD_ERR_KAFKA_TOPIC_MISSING',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

describe('static membership ids', () => {
  it("derives an instance's id from its host and role, takes a configured one, and 'none' turns it off", () => {
    expect(groupInstanceIdFor('', 'scanner', 'scanner-0')).toBe('scanner-0-scanner');
    expect(groupInstanceIdFor('', 'fetcher', 'host name/x')).toBe('host-name-x-fetcher');
    expect(groupInstanceIdFor('pod-7', 'scanner', 'ignored')).toBe('pod-7');
    expect(groupInstanceIdFor('none', 'scanner', 'ignored')).toBeUndefined();
  });
});
