import { describe, expect, it } from 'vitest';
import { FairSlots } from './host-limiter.js';

const live = () => new AbortController().signal;

/** `n` acquisitions by `owner`, each noted in `got` when granted (in grant order). */
function ask(slots: FairSlots<string>, owner: string, n: number, got: string[], signal = live()) {
  return Array.from({ length: n }, () =>
    slots.acquire(owner, signal).then((release) => {
      if (release !== null) got.push(owner);
      return release;
    }),
  );
}

/** Lets granted acquisitions' continuations run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FairSlots', () => {
  it('lets a lone owner take all it asks for, up to the bound', async () => {
    const slots = new FairSlots<string>(8);
    const got: string[] = [];
    const asked = ask(slots, 'a', 10, got);
    await settle();
    expect(got).toHaveLength(8);
    expect(slots.held('a')).toBe(8);
    const releases = await Promise.all(asked.slice(0, 8));
    for (const r of releases) r!();
    await settle();
    expect(got).toHaveLength(10);
    for (const r of await Promise.all(asked.slice(8))) r!();
    expect(slots.idle).toBe(true);
  });

  it('never holds more than the bound, however many owners ask and release', async () => {
    const slots = new FairSlots<string>(8);
    let held = 0;
    let most = 0;
    const work = async (owner: string) => {
      for (let i = 0; i < 20; i++) {
        const release = await slots.acquire(owner, live());
        held++;
        most = Math.max(most, held);
        await settle();
        held--;
        release!();
      }
    };
    // Five owners, each with four workers at once.
    await Promise.all(['a', 'b', 'c', 'd', 'e'].flatMap((o) => Array.from({ length: 4 }, () => work(o))));
    expect(most).toBe(8);
    expect(slots.idle).toBe(true);
  });

  it('serves an owner under its share first, keeps one slot for a newcomer, and lets no other stand idle', async () => {
    const slots = new FairSlots<string>(8);
    const got: string[] = [];
    // `a` alone takes six; `b` comes: with two owners each has floor(8 / 3) = 2, and `b` gets its two.
    const a = await Promise.all(ask(slots, 'a', 6, got));
    const b = await Promise.all(ask(slots, 'b', 2, got));
    // Both want more, and all eight slots are held.
    const aMore = ask(slots, 'a', 2, got);
    const bMore = ask(slots, 'b', 2, got);
    await settle();
    expect(got).toHaveLength(8);
    // A third comes (share floor(8 / 4) = 2), behind the others' waiters: the first slot released is its.
    const c = ask(slots, 'c', 1, got);
    await settle();
    expect(got).toHaveLength(8);
    a[0]!();
    const cRelease = await c[0];
    expect(got.slice(8)).toEqual(['c']);
    // `c` done, `a` (5) and `b` (2) are at or above their share: the slot `c` frees is kept for a newcomer.
    cRelease!();
    await settle();
    expect(got.slice(8)).toEqual(['c']);
    // As `a` lets go, every slot but that one goes to the waiters in turn, above their share or not.
    for (const r of a.slice(1)) r!();
    const more = await Promise.all([...aMore, ...bMore]);
    expect([slots.held('a'), slots.held('b')]).toEqual([2, 4]);
    for (const r of [...b, ...more]) r!();
    expect(slots.idle).toBe(true);
  });

  it('lets two owners that want four each hold seven at once: one slot in reserve, none idle beyond it', async () => {
    const slots = new FairSlots<string>(8);
    const got: string[] = [];
    const asked = [...ask(slots, 'a', 4, got), ...ask(slots, 'b', 4, got)];
    await settle();
    expect([slots.held('a'), slots.held('b')]).toEqual([4, 3]);
    // A newcomer gets the reserve at once.
    const c = await ask(slots, 'c', 1, got)[0];
    expect(slots.held('c')).toBe(1);
    c!();
    // b's fourth waits until a slot beyond the reserve frees.
    for (const r of await Promise.all(asked.slice(0, 4))) r!();
    for (const r of await Promise.all(asked.slice(4))) r!();
    expect(slots.idle).toBe(true);
  });

  it('releases nothing and leaks nothing when a waiter aborts, and refuses a caller already aborted', async () => {
    const slots = new FairSlots<string>(2);
    const got: string[] = [];
    const held = await Promise.all(ask(slots, 'a', 2, got));
    const leaving = new AbortController();
    const left = ask(slots, 'b', 2, got, leaving.signal);
    const next = ask(slots, 'c', 1, got);
    leaving.abort();
    expect(await Promise.all(left)).toEqual([null, null]);
    expect(slots.held('b')).toBe(0);
    // Two owners left (a, c): share max(1, floor(2 / 3)) = 1; a's release goes to c, none to the aborted b.
    held[0]!();
    held[0]!(); // a second release changes nothing
    const c = await next[0]!;
    expect(got).toEqual(['a', 'a', 'c']);
    expect([slots.held('a'), slots.held('c')]).toEqual([1, 1]);
    held[1]!();
    c!();
    expect(slots.idle).toBe(true);
    expect(await slots.acquire('d', AbortSignal.abort())).toBeNull();
    expect(slots.idle).toBe(true);
    // Nothing of the aborted waiters is left: a lone owner takes both slots again.
    expect(await Promise.all(ask(slots, 'e', 2, got))).not.toContain(null);
  });
});
