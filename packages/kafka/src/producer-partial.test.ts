import { randomBytes } from 'node:crypto';
import { defaultPartitioner } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alterTopicConfig,
  createProducer,
  ensureTopics,
  isRecordRefusal,
  ProduceError,
  readToEnd,
  type Producer,
} from './index.js';
import { testKafka, testTopic, testTopicPrefix } from './testing.test-helper.js';

/*
 * Sends the broker takes in part, on a real broker: a topic of two partitions that takes at most 2 KiB a batch
 * (max.message.bytes), so a record of 3,000 bytes is refused alone while short ones are taken, and many short
 * records of one partition are too large as one batch though each fits. The broker takes or refuses each
 * partition's batch of a request on its own; the producer says which records it took and never sends them again.
 */
const kafka = testKafka('producer-partial-test');
const prefix = testTopicPrefix(kafka);
const topic = `${prefix}partial`;
let producer: Producer;

beforeAll(async () => {
  await ensureTopics(kafka, [testTopic(topic, 2)]);
  await alterTopicConfig(kafka, topic, { 'max.message.bytes': '2048' });
  producer = await createProducer(kafka);
});
afterAll(async () => producer?.disconnect());

const run = crypto.randomUUID().slice(0, 8);
/** A key of this run that the client puts on `partition` (of two). */
const keyOn = (partition: number, name: string): string => {
  for (let i = 0; ; i++) {
    const key = `${run}-${name}-${i}`;
    if (defaultPartitioner(null as never, Buffer.from(key)) % 2 === partition) return key;
  }
};
const short = (key: string) => ({ key, value: `v-${key}` });
const long = (key: string) => ({ key, value: randomBytes(3_000) });

/** How many times each key of this run is on the topic. */
const copies = async (): Promise<Map<string, number>> => {
  const counts = new Map<string, number>();
  for (const r of await readToEnd(kafka, topic))
    if (r.key?.startsWith(`${run}-`) === true) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
  return counts;
};

describe('a send the broker takes in part', () => {
  it('says which records the broker acknowledged, partition by partition, and classifies the refusal', async () => {
    // Alternating: the short ones on partition 0 (taken), the long ones on partition 1 (refused, each alone too).
    const messages = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0 ? short(keyOn(0, `mixed-short${i}`)) : long(keyOn(1, `mixed-long${i}`)),
    );
    const err = await producer.send({ topic, messages }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProduceError);
    const refused = err as ProduceError;
    expect(refused).toMatchObject({ code: 'MOD_ERR_KAFKA_PRODUCE', retriable: true });
    expect(refused.acknowledged).toEqual(messages.map((_, i) => i % 2 === 0));
    expect([refused.acknowledgedCount, refused.acknowledgedPrefix]).toEqual([4, 1]);
    expect(isRecordRefusal(refused)).toBe(true);
    const onTopic = await copies();
    // Each short record once (it was not sent again while the long ones were tried in halves), no long one.
    for (const [i, m] of messages.entries())
      expect(onTopic.get(m.key), m.key).toBe(i % 2 === 0 ? 1 : undefined);
  });

  it("sends again alone only what a coalesced request's sends did not get taken: no record twice", async () => {
    // Sends made while one is in flight are coalesced: the long record refuses partition 1's batch of the request.
    const first = producer.send({ topic, messages: [short(keyOn(0, 'lead'))] });
    const mixed = [short(keyOn(0, 'c-a')), long(keyOn(1, 'c-b')), short(keyOn(1, 'c-c'))];
    const others = [short(keyOn(0, 'c-d')), short(keyOn(1, 'c-e'))];
    const sends = [producer.send({ topic, messages: mixed }), producer.send({ topic, messages: others })];
    const [mixedAnswer, othersAnswer] = await Promise.allSettled(sends);
    await first;
    expect(othersAnswer?.status).toBe('fulfilled');
    expect(mixedAnswer?.status).toBe('rejected');
    const refused = (mixedAnswer as PromiseRejectedResult).reason as ProduceError;
    // Its first record was taken with the coalesced request; tried again alone, in order, it stops at the long one.
    expect(refused.acknowledged).toEqual([true, false, false]);
    const onTopic = await copies();
    for (const m of [mixed[0]!, ...others]) expect(onTopic.get(m.key), m.key).toBe(1);
    expect([onTopic.get(mixed[1]!.key), onTopic.get(mixed[2]!.key)]).toEqual([undefined, undefined]);
  });

  it('takes a send too large as one batch whose records each fit, once each and in order', async () => {
    const messages = Array.from({ length: 60 }, (_, i) => ({
      key: keyOn(0, 'many'),
      value: `${String(i).padStart(3, '0')}-${'x'.repeat(90)}`,
    }));
    await expect(producer.send({ topic, messages })).resolves.toBeUndefined();
    const mine = (await readToEnd(kafka, topic)).filter((r) => r.key === messages[0]!.key);
    expect(mine.map((r) => r.value?.toString('utf8'))).toEqual(messages.map((m) => m.value));
  });
});
