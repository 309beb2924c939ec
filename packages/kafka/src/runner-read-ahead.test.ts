import { consumerReceivesChannel, Producer as PlatformaticProducer, type Message } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import type { ConsumedMessage, StepOutcome } from './index.js';
import { recordBytes } from './pump.js';
import { testTopic } from './testing.test-helper.js';
import { runKitUntil, runnerTestKit } from './runner.test-helper.js';

// A media topic's backlog, and a partner's topic beside it with one record sent after the backlog; a media topic of
// one large batch.
const kit = runnerTestKit((prefix) => [
  testTopic(`${prefix}a-media`),
  testTopic(`${prefix}b-other`),
  testTopic(`${prefix}c-batched`),
  testTopic(`${prefix}d-large`),
]);
const media = `${kit.prefix}a-media`;
const other = `${kit.prefix}b-other`;
const batched = `${kit.prefix}c-batched`;
const large = `${kit.prefix}d-large`;
const MiB = 1024 * 1024;

/**
 * Sends `n` records of `bytes` to `topic` in one record batch (a partner's client sending them together), keyed 0 to
 * n - 1, then runs a runner over it with a 1 MiB read-ahead until all were processed, each step taking a little
 * while. Checks they started in their order; returns the runner's gauge of bytes read ahead at most
 * (`readAhead().peakBytes`) and what one record counts for (`recordBytes`, at most).
 */
async function sendTogetherAndRun(topic: string, n: number, bytes: Buffer) {
  const raw = new PlatformaticProducer(kit.kafka.base);
  try {
    const keys = Array.from({ length: n }, (_, i) => i);
    await raw.send({ messages: keys.map((i) => ({ topic, key: Buffer.from(String(i)), value: bytes })) });
  } finally {
    await raw.close();
  }
  const started: number[] = [];
  const metrics = createStepMetrics(createRegistry('test'));
  // The most the runner's metric said was read ahead, as the steps started.
  let mostGauged = 0;
  const runner = await runKitUntil(kit, {
    groupId: `${topic}.g`,
    topics: [topic],
    metrics,
    step: async (m) => {
      started.push(Number(m.key));
      const gauged = (await metrics.readAheadBytes.get()).values.find((v) => v.labels.step === 'test');
      mostGauged = Math.max(mostGauged, gauged?.value ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { kind: 'ok' };
    },
    done: () => started.length === n,
    tuning: { readAheadBytes: MiB },
  });
  expect(started).toEqual(Array.from({ length: n }, (_, i) => i));
  const record = recordBytes({ key: Buffer.from(String(n - 1)), value: bytes } as Received);
  return { peakBytes: runner.readAhead().peakBytes, mostGauged, record };
}

type Received = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * Runs a runner over both topics with `readAheadBytes` until every record was processed, the step taking a little
 * while on each so that records wait for it. Returns the order the steps started in and the most bytes of records
 * the runner's client had received (the client's own `consumer:receives` diagnostics: everything fetched, whether
 * still in the stream's buffer or the pump's queue) and no step had started on, at any time.
 */
async function run(
  readAheadBytes: number,
  total: number,
): Promise<{ started: string[]; mostHeld: number; peakBytes: number }> {
  let received = 0;
  let stepped = 0;
  let mostHeld = 0;
  // Counted as the client hands each record to its stream (before the stream's buffer, whatever its size).
  const onReceive = (ctx: object) => {
    const message = (ctx as { result?: Received }).result;
    if (message === undefined || (message.topic !== media && message.topic !== other)) return;
    received += recordBytes(message);
    mostHeld = Math.max(mostHeld, received - stepped);
  };
  const ignore = () => undefined;
  const handlers = { start: ignore, end: ignore, asyncStart: onReceive, asyncEnd: ignore, error: ignore };
  consumerReceivesChannel.subscribe(handlers);
  const started: string[] = [];
  const step = async (m: ConsumedMessage): Promise<StepOutcome> => {
    stepped += Buffer.byteLength(m.key ?? '') + (m.value?.length ?? 0) + 64;
    started.push(m.topic === other ? 'other' : (m.key ?? ''));
    // Work that takes a while (a hash on a worker thread): records arrive faster than they are done.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { kind: 'ok' };
  };
  let peakBytes: number;
  try {
    const runner = await runKitUntil(kit, {
      groupId: `${kit.prefix}g`,
      topics: [media, other],
      step,
      done: () => started.length === total,
      tuning: { readAheadBytes },
    });
    peakBytes = runner.readAhead().peakBytes;
  } finally {
    consumerReceivesChannel.unsubscribe(handlers);
  }
  return { started, mostHeld, peakBytes };
}

describe('a runner with a small read-ahead (media) holds at most that much (real Kafka)', () => {
  it('never holds more than readAheadBytes of records no step has started, and keeps each partition in order', async () => {
    // 48 media messages of 200 KiB (9.4 MiB), each sent alone as the pipeline's producers do (a batch is fetched
    // whole), then one of another partner.
    const n = 48;
    const bytes = Buffer.alloc(200 * 1024, 7);
    for (let i = 0; i < n; i++)
      await kit.producer.send({ topic: media, messages: [{ key: String(i), value: bytes }] });
    await kit.producer.send({ topic: other, messages: [{ key: 'k', value: 'other' }] });

    const readAheadBytes = 1024 * 1024;
    const { started, mostHeld, peakBytes } = await run(readAheadBytes, n + 1);
    // Before: one fetch brought the whole backlog (16 MiB a partition) into the stream's buffer.
    expect(mostHeld).toBeLessThanOrEqual(readAheadBytes);
    expect(peakBytes).toBeLessThanOrEqual(readAheadBytes);
    // It did read ahead: more than the record in the step.
    expect(mostHeld).toBeGreaterThan(bytes.length + 64);
    const backlog = started.filter((v) => v !== 'other').map(Number);
    expect(backlog).toEqual(Array.from({ length: n }, (_, i) => i));
    // The other partner's record is not held up behind the backlog.
    expect(started.indexOf('other')).toBeLessThan(n / 2);
  });

  it('holds a record batch larger than readAheadBytes a share at a time, never more than that plus one record', async () => {
    // 24 media messages of 200 KiB sent together, as a partner's client may: one record batch of 4.9 MB, which the
    // broker answers whole to a fetch of any size.
    const { peakBytes, mostGauged, record } = await sendTogetherAndRun(
      batched,
      24,
      Buffer.alloc(200 * 1024, 5),
    );
    // Before: the whole batch was held, 24 records (4.9 MB).
    expect(peakBytes).toBeLessThanOrEqual(MiB + record);
    // The metric (mod_step_read_ahead_bytes) follows it.
    expect(mostGauged).toBeGreaterThan(0);
    expect(mostGauged).toBeLessThanOrEqual(peakBytes);
    // It did read ahead of the step: more than one record.
    expect(peakBytes).toBeGreaterThan(record);
  });

  it('lets a record larger than the whole readAheadBytes through, alone', async () => {
    // Three records of 1.5 MiB sent together: each comes in alone, none waits for ever.
    const { peakBytes, record } = await sendTogetherAndRun(large, 3, Buffer.alloc(1536 * 1024, 3));
    // Before: the whole batch (4.7 MB).
    expect(peakBytes).toBe(record);
  });
});
