import { describe, expect, it } from 'vitest';
import { createDeadLetterFolder, MAX_FOLDED_PER_LETTER, type Fold } from './dead-letter-fold.js';
import type { ConsumedMessage } from './step.js';
import { testLogger } from './testing.test-helper.js';

const message = (offset: number, partition = 0, topic = 'in'): ConsumedMessage => ({
  topic,
  partition,
  offset: String(offset),
  key: null,
  value: Buffer.from('v'),
  headers: {},
  timestamp: 0,
});

/** A folder over a clock the test moves, whose writes are kept (or refused while `refuse` is set). */
function folder(
  perSource: number,
  windowMs = 600_000,
  maxWaiting?: number,
  tenantOf: (topic: string) => string | null = () => 'isp-a',
) {
  const written: (Fold['folded'] & { window: Fold['window'] })[] = [];
  const clock = { now: 1_000, refuse: false };
  const f = createDeadLetterFolder({
    bound: { perSource, windowMs, ...(maxWaiting === undefined ? {} : { maxWaiting }) },
    tenantOf,
    write: async (fold) => {
      if (clock.refuse) throw new Error('refused');
      written.push(structuredClone({ ...fold.folded, window: fold.window }));
    },
    retryDelayMs: 1,
    maxRetryDelayMs: 1,
    log: testLogger,
    now: () => clock.now,
  });
  return { f, written, clock };
}

describe('dead letters folded past a source bound', () => {
  it("counts a tenant's partitions together, folds per partition, and a window that ended starts the count again", async () => {
    const { f, written, clock } = folder(2);
    const kinds = (offsets: number[], partition = 0) =>
      offsets.map((o) => f.admit(message(o, partition), 'MOD_ERR_X').kind);
    expect(kinds([0, 1, 2, 3])).toEqual(['single', 'single', 'folded', 'folded']);
    // Before: partition 1 had two letters of its own too.
    expect(kinds([0, 1], 1)).toEqual(['folded', 'folded']);
    clock.now += 600_000;
    // The ended window's summaries are written as the next one starts.
    expect(kinds([4, 5, 6])).toEqual(['single', 'single', 'folded']);
    await f.settle();
    expect(written.map((w) => [w.count, w.firstOffset, w.lastOffset, w.window])).toEqual([
      [2, '2', '3', { letters: 2, folded: 4 }],
      [2, '0', '1', { letters: 2, folded: 4 }],
      [1, '6', '6', { letters: 2, folded: 1 }],
    ]);
  });

  it('counts each tenant on its own, and the topics of no tenant together', async () => {
    const tenants: Record<string, string> = { 'isp-a.in': 'isp-a', 'isp-b.in': 'isp-b' };
    const { f, written } = folder(1, 600_000, undefined, (topic) => tenants[topic] ?? null);
    const kind = (topic: string, partition = 0) => f.admit(message(0, partition, topic), 'MOD_ERR_X').kind;
    expect([kind('isp-a.in'), kind('isp-a.in', 1), kind('isp-b.in'), kind('isp-b.in', 1)]).toEqual([
      'single',
      'folded',
      'single',
      'folded',
    ]);
    expect([kind('ours-1'), kind('ours-2'), kind('ours-1', 1)]).toEqual(['single', 'folded', 'folded']);
    await f.settle();
    expect(written.map((w) => [w.tenant, w.count])).toEqual([
      ['isp-a', 1],
      ['isp-b', 1],
      [null, 1],
      [null, 1],
    ]);
  });

  it('abandons the summary of a partition taken from it: its records are not committed, nor written, nor counted', async () => {
    const { f, written } = folder(1);
    f.admit(message(0), 'MOD_ERR_X');
    const taken = f.admit(message(1), 'MOD_ERR_X');
    const kept = f.admit(message(0, 1), 'MOD_ERR_X');
    f.abandon('in', 0);
    expect(taken.kind === 'folded' && (await taken.durable)).toBe(false);
    await f.settle();
    expect(kept.kind === 'folded' && (await kept.durable)).toBe(true);
    expect(written.map((w) => [w.count, w.firstOffset, w.window])).toEqual([
      [1, '0', { letters: 1, folded: 1 }],
    ]);
  });

  it('gives up a summary being written for a partition taken from it, instead of retrying', async () => {
    const { f, written, clock } = folder(0, 600_000, 1);
    clock.refuse = true;
    // maxWaiting 1: sealed and being written at once, refused, retried.
    const folded = f.admit(message(3), 'MOD_ERR_X');
    f.abandon('in', 0);
    expect(folded.kind === 'folded' && (await folded.durable)).toBe(false);
    expect(written).toEqual([]);
  });

  it('names 32 reason codes and counts the others as MOD_ERR_UNCLASSIFIED', async () => {
    const { f, written } = folder(1);
    f.admit(message(0), 'MOD_ERR_FIRST');
    for (let i = 1; i <= 40; i++) f.admit(message(i), `MOD_ERR_C${i}`);
    await f.settle();
    const codes = written[0]?.codes ?? [];
    expect(codes).toHaveLength(33);
    expect(codes.at(-1)).toEqual({ code: 'MOD_ERR_UNCLASSIFIED', count: 8 });
    expect(written[0]?.count).toBe(40);
  });

  it('writes a summary once it stands for MAX_FOLDED_PER_LETTER records, and begins the next', async () => {
    const { f, written } = folder(1);
    f.admit(message(0), 'MOD_ERR_X');
    const first = f.admit(message(1), 'MOD_ERR_X');
    for (let i = 2; i <= MAX_FOLDED_PER_LETTER; i++) f.admit(message(i), 'MOD_ERR_X');
    const next = f.admit(message(MAX_FOLDED_PER_LETTER + 1), 'MOD_ERR_X');
    expect(first.kind === 'folded' && (await first.durable)).toBe(true);
    expect(written.map((w) => w.count)).toEqual([MAX_FOLDED_PER_LETTER]);
    await f.settle();
    expect(next.kind === 'folded' && (await next.durable)).toBe(true);
    expect(written.map((w) => [w.count, w.firstOffset])).toEqual([
      [MAX_FOLDED_PER_LETTER, '1'],
      [1, String(MAX_FOLDED_PER_LETTER + 1)],
    ]);
  });

  it('gives a summary the broker refuses up when settling: its records are not to be committed', async () => {
    const { f, written, clock } = folder(0);
    clock.refuse = true;
    const folded = f.admit(message(7), 'MOD_ERR_X');
    await f.settle();
    expect(folded.kind === 'folded' && (await folded.durable)).toBe(false);
    expect(written).toEqual([]);
  });

  it("writes every summary gathered once maxWaiting records wait across the sources, not at the windows' end", async () => {
    // Two tenants' topics, one letter of its own each.
    const { f, written } = folder(1, 600_000, 3, (topic) => topic);
    const durable = [f.admit(message(0), 'MOD_ERR_X'), f.admit(message(1), 'MOD_ERR_X')];
    durable.push(f.admit(message(0, 0, 'b'), 'MOD_ERR_X'), f.admit(message(1, 0, 'b'), 'MOD_ERR_X'));
    expect(durable.map((d) => d.kind)).toEqual(['single', 'folded', 'single', 'folded']);
    // The third folded record, of either source, writes both summaries.
    const third = f.admit(message(2, 0, 'b'), 'MOD_ERR_X');
    if (third.kind !== 'folded') throw new Error('not folded');
    expect(await third.durable).toBe(true);
    expect(written.map((w) => [w.count, w.firstOffset, w.lastOffset])).toEqual([
      [1, '1', '1'],
      [2, '1', '2'],
    ]);
    // The count starts again: the next folded record waits for its window's end (here, the settle).
    f.admit(message(3, 0, 'b'), 'MOD_ERR_X');
    expect(written).toHaveLength(2);
    await f.settle();
    expect(written.map((w) => w.count)).toEqual([1, 2, 1]);
  });
});
