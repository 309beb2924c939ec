import { describe, expect, it } from 'vitest';
import { createProducer, deleteTopics, ensureTopics, followTopic } from './index.js';
import { testKafka, testLogger, testTopic, testTopicPrefix } from './testing.test-helper.js';

const kafka = testKafka('follow-resubscribe-test');
const prefix = testTopicPrefix(kafka);

/** Resolves once `holds()` does, checking every 100 ms. */
async function until(holds: () => boolean): Promise<void> {
  while (!holds()) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('topic follower', () => {
  it('says it does not follow while its topic is gone, and follows the topic created again from its start', async () => {
    const topic = `${prefix}changes`;
    await ensureTopics(kafka, [testTopic(topic)]);
    const producer = await createProducer(kafka);
    const applied: string[] = [];
    const follower = await followTopic({
      kafka,
      topic,
      groupId: `${prefix}follower`,
      from: new Map([[0, '0']]),
      logger: testLogger,
      retryDelayMs: 50,
      onRecord: async (r) => {
        applied.push(r.value?.toString('utf8') ?? '');
      },
    });
    try {
      await producer.send({ topic, messages: [{ key: 'k', value: 'before' }] });
      await until(() => applied.includes('before'));
      expect(follower.following()).toBe(true);
      // The topic deleted (as an operator's mistake, or a broker's lost data would): its stream fails.
      await deleteTopics(kafka, [topic]);
      await until(() => !follower.following());
      // Created again, with two records: the follower subscribes again and reads them from offset 0, although it
      // had read up to offset 1 of the old topic.
      await ensureTopics(kafka, [testTopic(topic)]);
      await producer.send({ topic, messages: [{ key: 'k', value: 'first-again' }] });
      await producer.send({ topic, messages: [{ key: 'k', value: 'second-again' }] });
      await until(() => applied.includes('second-again'));
      expect(applied).toEqual(['before', 'first-again', 'second-again']);
      expect(follower.following()).toBe(true);
    } finally {
      await producer.disconnect();
      await follower.stop();
    }
    expect(follower.following()).toBe(false);
    // The client's own retries of a fetch from the deleted topic take a while before its stream fails.
  }, 90_000);
});
