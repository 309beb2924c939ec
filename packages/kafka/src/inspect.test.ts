import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, deleteTopics, ensureTopics, readToEnd, type ReadRecord } from './index.js';
import { untilEnds } from './inspect.js';
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

/** `count` records read so far, two partitions in turn, as a growing array that counts each element's reads. */
function countedReads(count: number) {
  const reads = new Array<number>(count).fill(0);
  const records: ReadRecord[] = Array.from({ length: count }, (_, i) => ({
    topic,
    key: null,
    value: null,
    partition: i % 2,
    offset: String(Math.floor(i / 2)),
    headers: {},
  }));
  const shown: ReadRecord[] = [];
  const view = new Proxy(shown, {
    get(target, name, receiver) {
      if (typeof name === 'string' && /^[0-9]+$/.test(name))
        reads[Number(name)] = (reads[Number(name)] ?? 0) + 1;
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
  return { reads, view, arrive: (n: number) => shown.push(...records.slice(shown.length, shown.length + n)) };
}

describe('readToEnd', () => {
  it('reads every record a large topic holds', async () => {
    const records = await readToEnd(kafka, topic);
    expect(records).toHaveLength(COUNT);
    expect(new Set(records.map((r) => r.value?.toString())).size).toBe(COUNT);
  }, 60_000);

  it('looks at each record once, however many arrived before (not all read so far at each one)', () => {
    // Looking through all read so far at each record took 30 s of CPU for this topic, the whole time allowed (a
    // larger topic came back cut short): counted here as reads of the records, not timed.
    const per = 500;
    const { reads, view, arrive } = countedReads(2 * per);
    const ended = untilEnds(
      new Map([
        [0, BigInt(per - 1)],
        [1, BigInt(per - 1)],
      ]),
    );
    const answers: boolean[] = [];
    for (let i = 0; i < 2 * per; i += 1 + (i % 3)) {
      arrive(1 + (i % 3));
      answers.push(ended(view));
    }
    expect(answers.at(-1)).toBe(true);
    expect(answers.slice(0, -1).every((a) => !a)).toBe(true);
    expect(reads.every((n) => n === 1)).toBe(true);
  });

  it('fails with a code when it cannot read to the end, rather than answering a part', async () => {
    // Stopped by the caller (an injected deadline) before the end was reached: no time is raced.
    const stop = new AbortController();
    const reading = readToEnd(kafka, topic, 60_000, { signal: stop.signal });
    stop.abort();
    await expect(reading).rejects.toMatchObject({ code: 'MOD_ERR_KAFKA_READ_INCOMPLETE' });
  });
});
