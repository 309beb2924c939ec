import { describe, expect, it } from 'vitest';
import { Producer as PlatformaticProducer, type CompressionAlgorithmValue } from '@platformatic/kafka';
import { Codecs } from '@mod/contracts';
import { ensureTopics } from './index.js';
import { BATCH_REFUSED } from './processing.js';
import { readRecordAt } from './inspect.js';
import { readTopic, testKafka, testTopic } from './testing.test-helper.js';
import { runStepUntil } from './runner.test-helper.js';

const MiB = 1024 * 1024;

/** A connection and an input and a dead-letter topic of the test's own. */
async function freshTopics(clientId: string) {
  const kafka = testKafka(clientId);
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const topic = `${prefix}in`;
  const dlq = `${prefix}dlq`;
  await ensureTopics(kafka, [testTopic(topic), testTopic(dlq)]);
  return { kafka, topic, dlq };
}

describe('record batches a producer of the topic controls (real Kafka)', () => {
  it('dead-letters a batch that would inflate past the budget, in every codec, instead of inflating it; ordinary compressed batches pass', async () => {
    const { kafka, topic, dlq } = await freshTopics('runner-compressed-test');
    // What a partner's own producer may send on its topic: each send is one record batch, compressed as it likes.
    const send = async (
      compression: CompressionAlgorithmValue,
      messages: { key: string; value: Buffer }[],
    ) => {
      const raw = new PlatformaticProducer({ ...kafka.base, compression });
      try {
        await raw.send({
          messages: messages.map((m) => ({ topic, key: Buffer.from(m.key), value: m.value })),
        });
      } finally {
        await raw.close();
      }
    };
    // 96 MiB of zeros: a few kilobytes to a few megabytes on the wire, every one past the 64 MiB budget.
    const bomb = Buffer.alloc(96 * MiB);
    for (const codec of ['gzip', 'zstd', 'snappy', 'lz4'] as const)
      await send(codec, [{ key: `bomb-${codec}`, value: bomb }]);
    // Three records, each within the budget, together past it in one batch.
    await send(
      'zstd',
      [0, 1, 2].map((i) => ({ key: `many-${i}`, value: Buffer.alloc(30 * MiB) })),
    );
    // Within the budget: batches of compressed records as partners' clients send them, and two large ones that a
    // fetch takes together past the budget (each is read whole, in a fetch of its own).
    await send('lz4', [
      { key: 'small-1', value: Buffer.from('a'.repeat(10_000)) },
      { key: 'small-2', value: Buffer.from('b') },
    ]);
    await send('zstd', [{ key: 'large-1', value: Buffer.alloc(40 * MiB, 1) }]);
    await send('gzip', [{ key: 'large-2', value: Buffer.alloc(40 * MiB, 2) }]);
    await send('none', [{ key: 'last', value: Buffer.from('x') }]);

    const seen: { key: string | null; bytes: number }[] = [];
    await runStepUntil(kafka, {
      topic,
      dlq,
      step: async (m) => {
        seen.push({ key: m.key, bytes: m.value?.length ?? 0 });
        return { kind: 'ok' };
      },
      done: () => seen.some((s) => s.key === 'last'),
    });
    // The step never saw what the bombs carried; everything within the budget reached it whole.
    expect(seen).toEqual([
      { key: 'small-1', bytes: 10_000 },
      { key: 'small-2', bytes: 1 },
      { key: 'large-1', bytes: 40 * MiB },
      { key: 'large-2', bytes: 40 * MiB },
      { key: 'last', bytes: 1 },
    ]);
    // One dead letter per refused batch, at its last offset (the bombs at 0..3, the three records at 4..6).
    const letters = (await readTopic(kafka, dlq, (r) => r.length >= 5, 20_000)).map((r) =>
      Codecs.deadLetter.decode(r.value),
    );
    expect(letters.map((l) => [l.sourceOffset, l.reason.code, l.valueBytes])).toEqual([
      ['0', BATCH_REFUSED, 0],
      ['1', BATCH_REFUSED, 0],
      ['2', BATCH_REFUSED, 0],
      ['3', BATCH_REFUSED, 0],
      ['6', BATCH_REFUSED, 0],
    ]);
    expect(letters[4]?.reason.message).toMatch(/offsets 4\.\.6 was not inflated: inflates to more than/);
    // An operator reading a refused batch back gets the refusal, not the bytes (nothing to replay).
    const back = await readRecordAt(kafka, topic, 0, '1');
    expect(back?.refused).toMatch(/offsets 1\.\.1 was not inflated/);
    expect(back?.value).toBeNull();
  }, 120_000);
  it('dead-letters a batch whose record carries more headers than any client sends, instead of reading them all', async () => {
    const { kafka, topic, dlq } = await freshTopics('runner-headers-test');
    // Two bytes a header on the wire, hundreds of bytes each once read: a million of them were about 100 MiB of
    // heap in the client, and a topic's 16 MiB record (or a 64 MiB inflated batch) carries millions.
    const raw = new PlatformaticProducer(kafka.base);
    try {
      const headers = new Map(Array.from({ length: 1_000_000 }, () => [Buffer.alloc(0), Buffer.alloc(0)]));
      await raw.send({
        messages: [{ topic, key: Buffer.from('many-headers'), value: Buffer.from('v'), headers }],
      });
      const few = new Map([[Buffer.from('mod-meta'), Buffer.from('{}')]]);
      await raw.send({
        messages: [{ topic, key: Buffer.from('last'), value: Buffer.from('x'), headers: few }],
      });
    } finally {
      await raw.close();
    }
    const seen: { key: string | null; headers: string[] }[] = [];
    await runStepUntil(kafka, {
      topic,
      dlq,
      step: async (m) => {
        seen.push({ key: m.key, headers: Object.keys(m.headers) });
        return { kind: 'ok' };
      },
      done: () => seen.some((s) => s.key === 'last'),
    });
    expect(seen).toEqual([{ key: 'last', headers: ['mod-meta'] }]);
    const letters = (await readTopic(kafka, dlq, (r) => r.length >= 1, 20_000)).map((r) =>
      Codecs.deadLetter.decode(r.value),
    );
    expect(letters.map((l) => [l.sourceOffset, l.reason.code])).toEqual([['0', BATCH_REFUSED]]);
    expect(letters[0]?.reason.message).toMatch(/1000000 headers, more than 64/);
  }, 120_000);

  it('dead-letters a batch of more records than one fetch decodes, instead of decoding them all', async () => {
    const { kafka, topic, dlq } = await freshTopics('runner-record-count-test');
    // The client's MAX_RECORDS_PER_FETCH. Empty records are a few bytes each, a few kilobytes for the batch once
    // compressed, and a kilobyte of heap each once decoded: 300,000 took 200 MiB; 64 MiB inflated holds millions.
    const maxRecords = 65_536;
    const raw = new PlatformaticProducer({ ...kafka.base, compression: 'zstd' });
    try {
      const empty = Buffer.alloc(0);
      // Two batches within the budget, together past it: each is read whole (the second by the next fetch).
      const fineKey = Buffer.from('fine');
      for (let i = 0; i < 2; i++)
        await raw.send({
          messages: Array.from({ length: 40_000 }, () => ({ topic, key: fineKey, value: empty })),
        });
      await raw.send({ messages: Array.from({ length: maxRecords + 1 }, () => ({ topic, value: empty })) });
      await raw.send({ messages: [{ topic, key: Buffer.from('last'), value: Buffer.from('x') }] });
    } finally {
      await raw.close();
    }
    let others = 0;
    let fine = 0;
    let last = false;
    await runStepUntil(kafka, {
      topic,
      dlq,
      step: async (m) => {
        if (m.key === 'last') last = true;
        else if (m.key === 'fine') fine++;
        else others++;
        return { kind: 'ok' };
      },
      done: () => last,
    });
    // Before: every empty record reached the step (65,537 of them), each a dead letter of its own in a real step.
    expect([fine, others]).toEqual([80_000, 0]);
    const letters = (await readTopic(kafka, dlq, (r) => r.length >= 1, 20_000)).map((r) =>
      Codecs.deadLetter.decode(r.value),
    );
    expect(letters.map((l) => [l.sourceOffset, l.reason.code])).toEqual([
      [String(80_000 + maxRecords), BATCH_REFUSED],
    ]);
    expect(letters[0]?.reason.message).toMatch(/65537 records, more than 65536/);
  }, 120_000);
});
