import { MatcherError, MatcherErrorCode } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { HammingIndex } from './hamming-index.js';
import type { Signal } from './bank-model.js';
import { grownCopy } from './slot-allocator.js';

/** Stored quality of an entry that has none. */
export const NO_QUALITY = 255;
/** Largest slot a location (signal index + 8 * slot, an int32) can name. */
export const MAX_SLOT = 2 ** 28 - 1;

/** The number a canonical decimal id (the database's ids) is stored as; NaN for any other id (kept as a string). */
export function numericId(id: string): number {
  if (id.length > 16 || !/^(0|[1-9][0-9]*)$/.test(id)) return NaN;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : NaN;
}

/**
 * Slot-indexed payload next to an index: which bank and entry a slot belongs to, in typed arrays (60M entries:
 * 13 bytes each, no JS object or string per entry). Entry ids that are canonical decimals (every id the database
 * gives) are stored as numbers; others as strings in a side map.
 */
export class SignalStore {
  bank: Int32Array;
  quality: Uint8Array;
  idNum: Float64Array;
  readonly idStr = new Map<number, string>();

  constructor(
    readonly signal: Signal,
    readonly hamming: HammingIndex | null,
    readonly exact: ExactHashSet | null,
    capacity = 16,
  ) {
    const cap = Math.max(16, capacity);
    this.bank = new Int32Array(cap);
    this.quality = new Uint8Array(cap);
    this.idNum = new Float64Array(cap);
  }

  get size(): number {
    return this.hamming ? this.hamming.size : (this.exact?.size ?? 0);
  }

  /** One past the highest slot the index has used: the payload arrays' meaningful length. */
  get slotLimit(): number {
    return this.hamming ? this.hamming.slotLimit : (this.exact as ExactHashSet).slotLimit;
  }

  has(slot: number): boolean {
    return this.hamming ? this.hamming.has(slot) : (this.exact as ExactHashSet).has(slot);
  }

  add(value: string, bankIndex: number, entryId: string, quality: number | undefined): number {
    const slot = this.hamming ? this.hamming.add(value) : (this.exact as ExactHashSet).add(value);
    if (slot > MAX_SLOT) {
      this.remove(slot);
      throw new MatcherError(
        MatcherErrorCode.CapacityExceeded,
        `more than ${MAX_SLOT} ${this.signal} entries`,
      );
    }
    this.setPayload(slot, bankIndex, entryId, quality);
    return slot;
  }

  ensure(slots: number): void {
    if (slots <= this.bank.length) return;
    const cap = Math.max(slots, Math.ceil(this.bank.length * 1.5));
    this.bank = grownCopy(this.bank, cap);
    this.quality = grownCopy(this.quality, cap);
    this.idNum = grownCopy(this.idNum, cap);
  }

  setPayload(slot: number, bankIndex: number, entryId: string, quality: number | undefined): void {
    this.ensure(slot + 1);
    this.bank[slot] = bankIndex;
    this.quality[slot] = quality ?? NO_QUALITY;
    const n = numericId(entryId);
    this.idNum[slot] = n;
    if (Number.isNaN(n)) this.idStr.set(slot, entryId);
    else this.idStr.delete(slot);
  }

  entryId(slot: number): string {
    const n = this.idNum[slot] ?? NaN;
    return Number.isNaN(n) ? (this.idStr.get(slot) ?? '') : String(n);
  }

  remove(slot: number): void {
    if (this.hamming) this.hamming.remove(slot);
    else this.exact?.remove(slot);
    this.idStr.delete(slot);
    this.bank[slot] = -1;
  }

  value(slot: number): string {
    return this.hamming ? this.hamming.get(slot) : (this.exact as ExactHashSet).get(slot);
  }

  liveSlots(): Int32Array {
    return this.hamming ? this.hamming.liveSlots() : (this.exact as ExactHashSet).liveSlots();
  }
}

/** An empty store for `signal`: a Hamming index for PDQ and blockhash, an exact set for the digests. */
export function createStore(
  signal: Signal,
  capacity: number | undefined,
  chunks: number | undefined,
): SignalStore {
  if (signal === 'pdq' || signal === 'blockhash') {
    const index = new HammingIndex({
      capacity,
      ...(signal === 'pdq' && chunks !== undefined ? { chunks } : {}),
    });
    return new SignalStore(signal, index, null, capacity);
  }
  const digestBytes = signal === 'md5' ? 16 : signal === 'sha1' ? 20 : 32;
  return new SignalStore(signal, null, new ExactHashSet({ digestBytes, capacity }), capacity);
}
