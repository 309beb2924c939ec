import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, deleteTopics, ensureTopics, readToEnd } from './index.js';
import { testKafka, testTopic } from './testing.test-helper.js';

// readToEnd (the operators' dead-letter tools read their topic with it) against the real broker: all of a topic, or
// an error; never a part of it as if it were all.
const kafka = testKafka('inspect-test');
const topic = `t-${crypto.randomUUID().slice(0, 8)}.inspect`;
const COUNT = 30_000;

beforeAll(async () => {
  await ensureTopics(kafka, [testTopic(topic, 2)]);
  const producer = await createProducer(kafka);
  try {
    for (let i = 0; i < COUNT; i += 1000)
      await producer.send({
        topic,
        messages: Array.from({ length: 1000 }, (_, j) => ({ key: `k${(i + j) % 7}`, value: `m${i + j}` })),
      });
  } finally {
    await producer.disconnect();
  }
}, 120_000);
afterAll(async () => deleteTopics(kafka, [topic]));

describe('readToEnd', () => {
  it('reads every record a large topic holds', async () => {
    const started = performance.now();
    const records = await readToEnd(kafka, topic);
    expect(records).toHaveLength(COUNT);
    // Each record is looked at once: looking through all read so far at each one took 30 s of CPU here, the whole
    // time allowed (a larger topic came back cut short).
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(new Set(records.map((r) => r.value?.toString())).size).toBe(COUNT);
  }, 60_000);

  it('fails with a code when it cannot read to the end in time, rather than answering a part', async () => {
    await expect(readToEnd(kafka, topic, 1)).rejects.toMatchObject({ code: 'MOD_ERR_KAFKA_READ_INCOMPLETE' });
  });
});
