import { SIGNALS } from './bank-model.js';
import { numericId } from './signal-store.js';
import type { SignalStore } from './signal-store.js';
import type { StreamReader, StreamWriter } from './snapshot-stream.js';

const EMPTY_LOC = 0;

/**
 * (bank, entry id) -> location (signal index + 8 * slot), for every entry of every bank: open addressing with
 * linear probing over one `Int32Array` (location + 1; 0 is empty), keys read back from the stores' payload. A JS
 * `Map` stops at 2^24 entries; one list of 60M would not fit in it, nor its 60M id strings in memory.
 */
export class EntryLocator {
  private table = new Int32Array(1024);
  private mask = 1023;
  private count = 0;

  constructor(private readonly stores: () => readonly SignalStore[]) {}

  get size(): number {
    return this.count;
  }

  /** Sizes the table for `n` entries at once (bulk loads). */
  reserve(n: number): void {
    let size = this.table.length;
    while (n > size * 0.6) size *= 2;
    if (size !== this.table.length) this.resize(size);
  }

  get(bankIndex: number, id: string): number | undefined {
    const n = numericId(id);
    const stores = this.stores();
    for (let i = hashKey(bankIndex, n, id) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.table[i] ?? EMPTY_LOC;
      if (v === EMPTY_LOC) return undefined;
      if (sameKey(stores, v - 1, bankIndex, n, id)) return v - 1;
    }
  }

  /** Adds a location whose key (bank, id) is already in its store's payload and not yet in the table. */
  insert(loc: number): void {
    if (this.count + 1 > this.table.length * 0.6) this.resize(this.table.length * 2);
    this.place(loc);
    this.count++;
  }

  /** Removes the entry (bank, id) if present; returns its location. */
  delete(bankIndex: number, id: string): number | undefined {
    const n = numericId(id);
    const stores = this.stores();
    const mask = this.mask;
    const table = this.table;
    let i = hashKey(bankIndex, n, id) & mask;
    for (; ; i = (i + 1) & mask) {
      const v = table[i] ?? EMPTY_LOC;
      if (v === EMPTY_LOC) return undefined;
      if (sameKey(stores, v - 1, bankIndex, n, id)) break;
    }
    const found = (table[i] ?? 1) - 1;
    // Backward-shift deletion: later members of the run move up if their home allows, so no tombstones.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = table[j] ?? EMPTY_LOC;
      if (v === EMPTY_LOC) break;
      const home = hashOfLoc(stores, v - 1) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        table[hole] = v;
        hole = j;
      }
    }
    table[hole] = EMPTY_LOC;
    this.count--;
    return found;
  }

  clear(): void {
    this.table = new Int32Array(1024);
    this.mask = 1023;
    this.count = 0;
  }

  /** Writes the table as it is (its positions depend only on the keys, which the snapshot keeps). */
  async writeTo(w: StreamWriter): Promise<void> {
    w.u64(this.count);
    await w.array(this.table);
  }

  /**
   * Reads what `writeTo` wrote. One sequential pass checks that every location names a signal and a slot below
   * its store's limit (`limits[signal]`) and that the count is right; the positions themselves are trusted to the
   * CRC (a wrong one makes a look-up miss, never a crash).
   */
  async readFrom(r: StreamReader, limits: readonly number[]): Promise<void> {
    const count = await r.u64();
    const table = await r.array((n) => new Int32Array(n), { max: 2 ** 31 });
    const size = table.length;
    if (size < 1024 || (size & (size - 1)) !== 0 || count > size * 0.6 + 1)
      r.corrupt('has a bad locator size');
    let seen = 0;
    let bad = 0;
    for (let i = 0; i < size; i++) {
      const v = table[i] ?? EMPTY_LOC;
      if (v === EMPTY_LOC) continue;
      seen++;
      const loc = v - 1;
      // Branch-free: a negative term flags a negative entry, an unknown signal or a slot past its store.
      bad |= v | ((limits[loc & 7] ?? 0) - 1 - (loc >>> 3)) | (SIGNALS.length - 1 - (loc & 7));
    }
    if (bad < 0) r.corrupt('has a locator entry that names no entry');
    if (seen !== count) r.corrupt('has a locator count that does not match its table');
    this.table = table;
    this.mask = size - 1;
    this.count = count;
  }

  private place(loc: number): void {
    const mask = this.mask;
    let i = hashOfLoc(this.stores(), loc) & mask;
    while ((this.table[i] ?? EMPTY_LOC) !== EMPTY_LOC) i = (i + 1) & mask;
    this.table[i] = loc + 1;
  }

  private resize(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < old.length; i++) {
      const v = old[i] ?? EMPTY_LOC;
      if (v !== EMPTY_LOC) this.place(v - 1);
    }
  }
}

function hashKey(bankIndex: number, n: number, id: string): number {
  let h: number;
  if (Number.isNaN(n)) {
    h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  } else h = Math.imul(n >>> 0, 0x85ebca6b) ^ Math.imul(Math.floor(n / 2 ** 32), 0xc2b2ae35);
  h = Math.imul(h ^ Math.imul(bankIndex + 1, 0x27d4eb2f), 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

function hashOfLoc(stores: readonly SignalStore[], loc: number): number {
  const store = stores[loc & 7] as SignalStore;
  const slot = loc >>> 3;
  const n = store.idNum[slot] ?? NaN;
  return hashKey(store.bank[slot] ?? -1, n, Number.isNaN(n) ? (store.idStr.get(slot) ?? '') : '');
}

function sameKey(
  stores: readonly SignalStore[],
  loc: number,
  bankIndex: number,
  n: number,
  id: string,
): boolean {
  const store = stores[loc & 7] as SignalStore;
  const slot = loc >>> 3;
  if (store.bank[slot] !== bankIndex) return false;
  const m = store.idNum[slot] ?? NaN;
  if (Number.isNaN(n)) return Number.isNaN(m) && store.idStr.get(slot) === id;
  return m === n;
}
