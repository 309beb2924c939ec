import { describe, expect, it } from 'vitest';
import type { StepOutcome } from './index.js';
import { createFairQueue } from './fair-queue.js';
import { testTopic } from './testing.test-helper.js';
import { runKitUntil, runnerTestKit } from './runner.test-helper.js';

// Two partners' own topics: the first (by name, so its records come first in a fetch) with a backlog.
const kit = runnerTestKit((prefix) => [testTopic(`${prefix}a-flooding`), testTopic(`${prefix}b-other`)]);
const flooding = `${kit.prefix}a-flooding`;
const other = `${kit.prefix}b-other`;

describe("one partner's backlog does not hold up another's records (real Kafka)", () => {
  it("serves the other topic's record of the same fetch alongside the backlog, not after it", async () => {
    // 20,000 small records (4 MB: one fetch of that partition), sent before the other partner's one record.
    const n = 20_000;
    const pad = 'x'.repeat(200);
    for (let i = 0; i < n; i += 2_000)
      await kit.producer.send({
        topic: flooding,
        messages: Array.from({ length: 2_000 }, (_, j) => ({ key: 'k', value: `${i + j} ${pad}` })),
      });
    await kit.producer.send({ topic: other, messages: [{ key: 'k', value: 'other' }] });
    const started: string[] = [];
    const step = async (m: { topic: string; value: Buffer | null }): Promise<StepOutcome> => {
      started.push(m.topic === other ? 'other' : (m.value?.toString().split(' ')[0] ?? ''));
      await new Promise((r) => setImmediate(r));
      return { kind: 'ok' };
    };
    await runKitUntil(kit, {
      groupId: `${kit.prefix}g`,
      topics: [flooding, other],
      step,
      done: () => started.length === n + 1,
      tuning: { maxInFlight: 8 },
    });
    // Before: the other record was the 20,001st, after the whole backlog.
    expect(started.indexOf('other')).toBeLessThan(n / 10);
    // The backlog's records still started in their order.
    const backlog = started.filter((v) => v !== 'other').map(Number);
    expect(backlog).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe('createFairQueue', () => {
  it('hands out one record of each partition in turn, each partition in its order, and counts bytes', () => {
    const q = createFairQueue<string>();
    for (const v of ['a1', 'a2', 'a3', 'a4']) q.push('a', v, 10);
    q.push('b', 'b1', 5);
    q.push('c', 'c1', 1);
    expect(q.bytes).toBe(46);
    expect([q.take(), q.take(), q.take()]).toEqual(['a1', 'b1', 'c1']);
    q.push('b', 'b2', 5);
    expect([q.take(), q.take(), q.take(), q.take(), q.take()]).toEqual(['a2', 'b2', 'a3', 'a4', undefined]);
    expect([q.size, q.bytes]).toEqual([0, 0]);
  });

  it('keeps a long lane in order across the compaction of its served part', () => {
    const q = createFairQueue<number>();
    for (let i = 0; i < 5_000; i++) q.push('a', i, 1);
    const out: number[] = [];
    for (let i = 0; i < 3_000; i++) out.push(q.take()!);
    for (let i = 5_000; i < 6_000; i++) q.push('a', i, 1);
    for (let v = q.take(); v !== undefined; v = q.take()) out.push(v);
    expect(out).toEqual(Array.from({ length: 6_000 }, (_, i) => i));
  });
});
