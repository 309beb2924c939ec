import { describe, expect, it } from 'vitest';
import { partnerTopicSpec } from '@mod/contracts';
import {
  createProducer,
  ensureTopics,
  followTopic,
  listTopics,
  reconcileTopics,
  topicConfigValue,
} from './index.js';
import { testKafka, testLogger, testTopic, testTopicPrefix } from './testing.test-helper.js';

// A partner's producer sets its records' timestamps; on the topics partners write the broker stamps its own
// append time instead (LogAppendTime), and our consumer must read that one, not the producer's.

const kafka = testKafka('topic-timestamps-test');
const prefix = testTopicPrefix(kafka);
const HOUR_MS = 3_600_000;
const timestampType = (topic: string) => topicConfigValue(kafka, topic, 'message.timestamp.type');

/** Produces one record stamped an hour ago; answers that stamp and the time just before the send. */
async function sendHourOld(topic: string): Promise<{ stamped: number; before: number }> {
  const producer = await createProducer(kafka);
  try {
    const before = Date.now();
    const stamped = before - HOUR_MS;
    await producer.send({ topic, messages: [{ key: 'k', value: 'v', timestamp: stamped }] });
    return { stamped, before };
  } finally {
    await producer.disconnect();
  }
}

/** The timestamp the consumer reads for the topic's first record. */
async function firstTimestamp(topic: string): Promise<number> {
  let resolve: (t: number) => void = () => undefined;
  const read = new Promise<number>((r) => (resolve = r));
  const follower = await followTopic({
    kafka,
    topic,
    groupId: `${prefix}reader-${crypto.randomUUID()}`,
    from: new Map([[0, '0']]), // the test topics have one partition
    logger: testLogger,
    onRecord: async (r) => resolve(r.timestamp),
  });
  try {
    return await read;
  } finally {
    await follower.stop();
  }
}

describe('topic timestamps', () => {
  it("creates a partner's inbound topic with the broker's time: a record stamped an hour ago reads back with its append time", async () => {
    const inbound = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-a');
    const outbound = partnerTopicSpec(prefix, 'takedownRequests', 'platform-a');
    const internal = testTopic(`${prefix}internal`);
    const ensured = await ensureTopics(kafka, [inbound, outbound, internal]);
    expect({ ...ensured, created: ensured.created.sort() }).toEqual({
      created: [internal.name, inbound.name, outbound.name],
      updated: [],
    });
    expect(await timestampType(inbound.name)).toBe('LogAppendTime');
    // Only our services write these: their producers' own time stays.
    expect(await timestampType(outbound.name)).toBe('CreateTime');
    expect(await timestampType(internal.name)).toBe('CreateTime');

    const partner = await sendHourOld(inbound.name);
    const appended = await firstTimestamp(inbound.name);
    expect(appended).toBeGreaterThanOrEqual(partner.before);
    expect(appended).toBeLessThanOrEqual(Date.now());

    const ours = await sendHourOld(internal.name);
    expect(await firstTimestamp(internal.name)).toBe(ours.stamped);
  });

  it('sets it on an existing topic that lacks it, once, and creates nothing when reconciling', async () => {
    const spec = partnerTopicSpec(prefix, 'urlObserved', 'isp-a');
    await ensureTopics(kafka, [testTopic(spec.name)]);
    expect(await timestampType(spec.name)).toBe('CreateTime');

    expect(await ensureTopics(kafka, [spec])).toEqual({ created: [], updated: [spec.name] });
    expect(await timestampType(spec.name)).toBe('LogAppendTime');
    expect(await ensureTopics(kafka, [spec])).toEqual({ created: [], updated: [] });
    expect(await reconcileTopics(kafka, [spec])).toEqual([]);

    const absent = partnerTopicSpec(prefix, 'urlObserved', 'isp-absent');
    expect(await reconcileTopics(kafka, [absent])).toEqual([]);
    expect(await listTopics(kafka, (t) => t === absent.name)).toEqual([]);

    const { before } = await sendHourOld(spec.name);
    expect(await firstTimestamp(spec.name)).toBeGreaterThanOrEqual(before);
  });
});
