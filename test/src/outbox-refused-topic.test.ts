import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerTopic, partnerTopicSpec } from '@mod/contracts';
import { withTransaction } from '@mod/db';
import { countUnpublished, enqueueOutbox, relayOutbox } from '@mod/db/outbox';
import { alterTopicConfig, createProducer, ensureTopics, publishOutboxRows, type Producer } from '@mod/kafka';
import { createWorld, read, stopInOrder, type World } from './helpers.js';

// The broker refuses one partner's message for good (its topic's max.message.bytes set below it by an operator;
// the same for a topic deleted or an ACL withdrawn) while the relay publishes other partners' orders in the same
// batch. The whole batch failed and stayed pending, so every pass (each OUTBOX_POLL_INTERVAL_MS) wrote the other
// partners' orders to their topics again: duplicates without end, and none ever marked published.

let world: World;
let producer: Producer;
const topicOf = (isp: string) => partnerTopic(world.prefix, 'blockingRequests', isp);

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  await ensureTopics(world.kafka, [
    partnerTopicSpec(world.prefix, 'blockingRequests', 'isp-a'),
    partnerTopicSpec(world.prefix, 'blockingRequests', 'isp-b'),
    partnerTopicSpec(world.prefix, 'blockingRequests', 'isp-c'),
    partnerTopicSpec(world.prefix, 'blockingRequests', 'isp-d'),
  ]);
  producer = await createProducer(world.kafka);
});

afterAll(() =>
  stopInOrder([
    ['producer', () => producer?.disconnect()],
    ['world', () => world?.drop()],
  ]),
);

const enqueue = (isp: string, orderId: string, note: string) =>
  withTransaction(world.db, (c) => enqueueOutbox(c, topicOf(isp), orderId, { orderId, note }));
const pass = (batchSize = 100) =>
  relayOutbox(world.db, (rows) => publishOutboxRows(producer, rows), batchSize).then(
    (n) => `published ${n}`,
    (err: unknown) => `failed: ${(err as Error).message}`,
  );

describe("a partner's topic refusing a message", () => {
  it("keeps only that message pending; the other partner's orders are published once", async () => {
    await alterTopicConfig(world.kafka, topicOf('isp-a'), { 'max.message.bytes': '200' });
    await enqueue('isp-b', 'order-b1', 'b');
    await enqueue('isp-a', 'order-a1', 'x'.repeat(400));
    await enqueue('isp-b', 'order-b2', 'b');
    const passes = [await pass(), await pass(), await pass()];
    // Each pass says the refusal (the relay loop logs it and tries again).
    expect(passes.every((p) => p.startsWith('failed: producing failed'))).toBe(true);
    expect(await countUnpublished(world.db, { topics: [topicOf('isp-b')] })).toBe(0);
    expect(await countUnpublished(world.db, { topics: [topicOf('isp-a')] })).toBe(1);

    // Everything the passes wrote comes before this mark.
    await producer.send({ topic: topicOf('isp-b'), messages: [{ key: 'mark', value: '{}' }] });
    const onB = await read(world, topicOf('isp-b'), (r) => r.some((x) => x.key === 'mark'));
    const before = onB
      .slice(
        0,
        onB.findIndex((x) => x.key === 'mark'),
      )
      .map((x) => x.key);
    expect(before).toEqual(['order-b1', 'order-b2']);

    // Once the topic takes it again, the refused message leaves, once.
    await alterTopicConfig(world.kafka, topicOf('isp-a'), { 'max.message.bytes': '1048588' });
    expect(await pass()).toBe('published 1');
    expect(await countUnpublished(world.db)).toBe(0);
    const onA = await read(world, topicOf('isp-a'), (r) => r.length >= 1);
    expect(onA.map((x) => x.key)).toEqual(['order-a1']);
  });

  it('publishes the other topics when the refused one has a whole batch waiting', async () => {
    await alterTopicConfig(world.kafka, topicOf('isp-c'), { 'max.message.bytes': '200' });
    for (const n of [1, 2, 3]) await enqueue('isp-c', `order-c${n}`, 'x'.repeat(400));
    await enqueue('isp-d', 'order-d1', 'd');
    // A batch of two: isp-c's first two fill it.
    expect(await pass(2)).toMatch(/^failed: producing failed/);
    expect(await countUnpublished(world.db, { topics: [topicOf('isp-d')] })).toBe(0);
    expect(await countUnpublished(world.db, { topics: [topicOf('isp-c')] })).toBe(3);
    const onD = await read(world, topicOf('isp-d'), (r) => r.length >= 1);
    expect(onD.map((x) => x.key)).toEqual(['order-d1']);
    await alterTopicConfig(world.kafka, topicOf('isp-c'), { 'max.message.bytes': '1048588' });
    expect(await pass(2)).toBe('published 2');
    expect(await pass(2)).toBe('published 1');
  });
});
