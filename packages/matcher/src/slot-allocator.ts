import { MatcherError, MatcherErrorCode } from './errors.js';
import type { StreamReader, StreamWriter } from './snapshot-stream.js';

/** Most entries an index or a set can hold: slots are int32. */
export const MAX_SLOTS = 2 ** 31 - 1;

type SlotArray = Int32Array | Uint32Array | Uint8Array | Float64Array;

/** A copy of `a` in a new array of `length` elements (zeros past `a`'s end): how every per-slot array grows. */
export function grownCopy<T extends SlotArray>(a: T, length: number): T {
  const out = new (a.constructor as new (length: number) => T)(length);
  (out as Uint8Array).set(a);
  return out;
}

/**
 * The capacity after `capacity` is used up: 1.5x + 16, at most {@link MAX_SLOTS}. Throws
 * `MOD_ERR_MATCHER_CAPACITY` (with `fullMessage`) when it cannot grow.
 */
export function nextCapacity(capacity: number, fullMessage: string): number {
  const cap = Math.min(MAX_SLOTS, Math.ceil(capacity * 1.5) + 16);
  if (cap <= capacity) throw new MatcherError(MatcherErrorCode.CapacityExceeded, fullMessage);
  return cap;
}

/**
 * Dense slot numbers for the entries of an index or a set: a live flag per slot, a high-water mark, and a free
 * list so removed slots are reused first. The owner keeps its per-slot data in its own typed arrays of
 * `capacity` slots and grows them together with {@link grow}.
 */
export class SlotAllocator {
  /** 1 for a live slot, 0 for a free one (below `highWater`) or one never used. */
  live: Uint8Array;
  /** One past the highest slot ever used. */
  highWater = 0;
  liveCount = 0;
  private freeSlots = new Int32Array(16);
  private freeCount = 0;

  constructor(capacity: number) {
    this.live = new Uint8Array(capacity);
  }

  /** Slots the owner's arrays have room for. */
  get capacity(): number {
    return this.live.length;
  }

  /** True when `slot` holds a live entry. */
  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.highWater && this.live[slot] === 1;
  }

  /** Throws `MOD_ERR_MATCHER_UNKNOWN_SLOT` unless `slot` is live. */
  requireLive(slot: number): void {
    if (!this.has(slot)) throw new MatcherError(MatcherErrorCode.UnknownSlot, `slot ${slot} is not live`);
  }

  /** Live slots in ascending order. */
  liveSlots(): Int32Array {
    const out = new Int32Array(this.liveCount);
    let n = 0;
    for (let s = 0; s < this.highWater; s++) if (this.live[s] === 1) out[n++] = s;
    return out;
  }

  /**
   * A slot for a new entry (the last freed one, else the next unused one), now live; -1 when every slot up to
   * `capacity` is in use: the owner grows its arrays and this (`grow`), then asks again.
   */
  take(): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount] ?? 0;
    else {
      if (this.highWater === this.live.length) return -1;
      slot = this.highWater++;
    }
    this.live[slot] = 1;
    this.liveCount++;
    return slot;
  }

  /** Marks slots 0..n-1 live in an empty allocator with room for them (a bulk load). */
  markFirstLive(n: number): void {
    this.live.fill(1, 0, n);
    this.highWater = n;
    this.liveCount = n;
  }

  /** Frees a live slot for reuse. */
  release(slot: number): void {
    this.live[slot] = 0;
    this.liveCount--;
    if (this.freeCount === this.freeSlots.length)
      this.freeSlots = grownCopy(this.freeSlots, this.freeCount * 2);
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Room for `capacity` slots (never less than now). */
  grow(capacity: number): void {
    this.live = grownCopy(this.live, capacity);
  }

  /** Bytes held by the allocator's arrays. */
  get byteSize(): number {
    return this.live.byteLength + this.freeSlots.byteLength;
  }

  /** Streams the live flags below the high-water mark and the free list (the counts are the owner's header). */
  async writeTo(w: StreamWriter): Promise<void> {
    await w.array(this.live.subarray(0, this.highWater));
    await w.array(this.freeSlots.subarray(0, this.freeCount));
  }

  /** Restores what `writeTo` wrote, for the counts the owner read from its header, with room for `capacity` slots. */
  static async readFrom(
    r: StreamReader,
    counts: { highWater: number; liveCount: number; capacity: number },
  ): Promise<SlotAllocator> {
    const { highWater, liveCount } = counts;
    const slots = new SlotAllocator(counts.capacity);
    slots.highWater = highWater;
    slots.liveCount = liveCount;
    await r.array((n) => new Uint8Array(n), { expected: highWater, into: slots.live });
    const free = await r.array((n) => new Int32Array(n), { expected: highWater - liveCount });
    slots.freeSlots = new Int32Array(Math.max(16, free.length));
    slots.freeSlots.set(free);
    slots.freeCount = free.length;
    return slots;
  }
}

/**
 * What an index or a set keeps slots with shares: the {@link SlotAllocator}, the questions about its slots, and
 * taking a slot for a new entry, with the owner's per-slot arrays and the allocator grown together first when
 * every slot is in use.
 */
export abstract class SlotOwner {
  protected abstract slots: SlotAllocator;

  /** Number of live entries. */
  get size(): number {
    return this.slots.liveCount;
  }

  /** One past the highest slot ever used (slots are below it; some may be free). */
  get slotLimit(): number {
    return this.slots.highWater;
  }

  /** True when `slot` holds a live entry. */
  has(slot: number): boolean {
    return this.slots.has(slot);
  }

  /** Live slots in ascending order: the order `serialize` writes and `deserialize` renumbers to 0..n-1. */
  liveSlots(): Int32Array {
    return this.slots.liveSlots();
  }

  /**
   * A slot for a new entry, now live. When every slot is in use, the owner's arrays ({@link growArrays}) and the
   * allocator grow to the next capacity first; `fullMessage` says what is full when it cannot grow.
   */
  protected takeSlot(fullMessage: string): number {
    let slot = this.slots.take();
    if (slot < 0) {
      const capacity = nextCapacity(this.slots.capacity, fullMessage);
      this.growArrays(capacity);
      this.slots.grow(capacity);
      slot = this.slots.take();
    }
    return slot;
  }

  /** Grows the owner's per-slot arrays to room for `capacity` slots (their contents kept). */
  protected abstract growArrays(capacity: number): void;
}
