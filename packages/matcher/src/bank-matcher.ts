import { parseHexWordsInto } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { HammingIndex } from './hamming-index.js';
import { SearchHits } from './search-hits.js';
import { StreamReader, StreamWriter, bytesSource, collectingSink } from './snapshot-stream.js';
import type { SnapshotSink, SnapshotSource } from './snapshot-stream.js';

/** Signal types a bank entry can hold (same strings as `SignalType` in `@mod/contracts`). */
export const Signal = {
  Pdq: 'pdq',
  Blockhash: 'blockhash',
  Md5: 'md5',
  Sha1: 'sha1',
  Sha256: 'sha256',
} as const;
export type Signal = (typeof Signal)[keyof typeof Signal];

/** Hex digits per signal value. */
export const SIGNAL_HEX_LENGTH: Readonly<Record<Signal, number>> = {
  pdq: 64,
  blockhash: 64,
  md5: 32,
  sha1: 40,
  sha256: 64,
};

const SIGNALS: readonly Signal[] = ['pdq', 'blockhash', 'md5', 'sha1', 'sha256'];
const MAX_ID_LENGTH = 256;
const NO_QUALITY = 255;
const SNAPSHOT_MAGIC = 'MODBANKM';
/**
 * 3: banks keep their indices, exact sets are written whole (slots kept), payload arrays as they are in memory and
 * the (bank, entry id) locator's table as it is, so loading is reads and one sequential check, no per-entry
 * rebuild. 2 (tables included, locator rebuilt on load) is refused with `MOD_ERR_MATCHER_SNAPSHOT_VERSION`.
 */
const SNAPSHOT_VERSION = 3;
const ENTRY_ID_GROUP = 100_000;
/** Largest slot a location (signal index + 8 * slot, an int32) can name. */
const MAX_SLOT = 2 ** 28 - 1;

/** Meta's recommended PDQ match distance. */
export const DEFAULT_PDQ_RADIUS = 31;
/** Default blockhash (256-bit) radius when a bank sets none. */
export const DEFAULT_BLOCKHASH_RADIUS = 10;
/** PDQ hashes below this quality are too flat to match reliably (Meta's guidance). */
export const DEFAULT_MIN_PDQ_QUALITY = 50;

/** One hash in one bank. `value` is hex (stored lowercase). */
export interface BankEntry {
  entryId: string;
  bankId: string;
  signal: Signal;
  value: string;
  /** PDQ quality 0..100 when known. */
  quality?: number;
}

/** Matching-relevant bank settings. Radii are inclusive Hamming distances. */
export interface BankConfig {
  bankId: string;
  enabled: boolean;
  /** A negative bank lists known-benign content: its hits are reported apart so policy can suppress. */
  negative: boolean;
  thresholds: { pdq?: number; blockhash?: number };
}

/** One bank change, as carried by the bank-changes topic. Applying a change twice is a no-op. */
export type BankChange =
  | { type: 'entry-added'; entry: BankEntry }
  | { type: 'entry-removed'; bankId: string; entryId: string }
  | { type: 'bank-upserted'; bank: BankConfig }
  | { type: 'bank-removed'; bankId: string };

/** The signals of one piece of media. Hex values; PDQ with its quality. */
export interface MatchSignals {
  pdq?: { hash: string; quality: number };
  /** The 8 dihedral PDQ variants (index k reported as `dihedral-<k>`); they share `pdq.quality`. */
  pdqDihedral?: readonly string[];
  /** PDQ of the image with borders trimmed. */
  pdqTrimmed?: { hash: string; quality: number };
  blockhash?: string;
  md5?: string;
  sha1?: string;
  sha256?: string;
}

export interface MatchOptions {
  /** PDQ queries below this quality are not matched. Default: the matcher's `minPdqQuality` (50). */
  minPdqQuality?: number;
}

/** Which query variant produced a hit. */
export type MatchVia = 'original' | 'trimmed' | `dihedral-${number}`;

export interface MatchHit {
  bankId: string;
  entryId: string;
  signal: Signal;
  distance: number;
  via: MatchVia;
}

/** Hits of enabled banks, split by the bank's negative flag; one hit per entry (its best distance). */
export interface MatchResult {
  hits: MatchHit[];
  negativeHits: MatchHit[];
}

export interface BankMatcherOptions {
  /** PDQ radius of a bank that sets none. Default 31. */
  defaultPdqRadius?: number;
  /** Blockhash radius of a bank that sets none. Default 10. */
  defaultBlockhashRadius?: number;
  /** Default floor on PDQ query quality. Default 50. */
  minPdqQuality?: number;
  /** Expected entries per signal (pre-sizes tables; avoids re-hashing during a bulk load). */
  capacity?: Partial<Record<Signal, number>>;
  /** Substring count of the PDQ index (see `HammingIndexOptions.chunks`). Default: by `capacity.pdq` (10 or 11). */
  pdqChunks?: number;
}

export interface BankMatcherStats {
  banks: number;
  entries: Record<Signal, number>;
}

interface BankState {
  config: BankConfig;
  index: number;
  /** False while the bank is known only through its entries (no `bank-upserted` yet): not matched. */
  declared: boolean;
}

/** The number a canonical decimal id (the database's ids) is stored as; NaN for any other id (kept as a string). */
function numericId(id: string): number {
  if (id.length > 16 || !/^(0|[1-9][0-9]*)$/.test(id)) return NaN;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : NaN;
}

/**
 * Slot-indexed payload next to an index: which bank and entry a slot belongs to, in typed arrays (60M entries:
 * 13 bytes each, no JS object or string per entry). Entry ids that are canonical decimals (every id the database
 * gives) are stored as numbers; others as strings in a side map.
 */
class SignalStore {
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
    const bank = new Int32Array(cap);
    bank.set(this.bank);
    this.bank = bank;
    const q = new Uint8Array(cap);
    q.set(this.quality);
    this.quality = q;
    const ids = new Float64Array(cap);
    ids.set(this.idNum);
    this.idNum = ids;
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

const EMPTY_LOC = 0;

/**
 * (bank, entry id) -> location (signal index + 8 * slot), for every entry of every bank: open addressing with
 * linear probing over one `Int32Array` (location + 1; 0 is empty), keys read back from the stores' payload. A JS
 * `Map` stops at 2^24 entries; one list of 60M would not fit in it, nor its 60M id strings in memory.
 */
class EntryLocator {
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

function createStore(signal: Signal, capacity: number | undefined, chunks: number | undefined): SignalStore {
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

function badChange(message: string): MatcherError {
  return new MatcherError(MatcherErrorCode.BadChange, message);
}

function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw badChange(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return value;
}

function checkRadius(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 256) {
    throw badChange(`${what} must be an integer in 0..256`);
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Validates an entry (shape, signal, hex length, quality) and returns it normalised (lowercase value). */
export function validateEntry(raw: unknown): BankEntry {
  if (!isObject(raw)) throw badChange('entry must be an object');
  const entryId = checkId(raw.entryId, 'entryId');
  const bankId = checkId(raw.bankId, 'bankId');
  const signal = raw.signal;
  if (typeof signal !== 'string' || !(SIGNALS as readonly string[]).includes(signal)) {
    throw badChange(`signal must be one of ${SIGNALS.join(', ')}`);
  }
  const sig = signal as Signal;
  const value = raw.value;
  const len = SIGNAL_HEX_LENGTH[sig];
  if (typeof value !== 'string' || value.length !== len || !/^[0-9a-fA-F]+$/.test(value)) {
    throw new MatcherError(MatcherErrorCode.BadHash, `${sig} value must be ${len} hex digits`);
  }
  const quality = raw.quality;
  if (
    quality !== undefined &&
    (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 0 || quality > 100)
  ) {
    throw badChange('quality must be an integer in 0..100');
  }
  const out: BankEntry = { entryId, bankId, signal: sig, value: value.toLowerCase() };
  if (quality !== undefined) out.quality = quality;
  return out;
}

function validateBank(raw: unknown): BankConfig {
  if (!isObject(raw)) throw badChange('bank must be an object');
  const bankId = checkId(raw.bankId, 'bankId');
  if (typeof raw.enabled !== 'boolean') throw badChange('bank.enabled must be a boolean');
  if (typeof raw.negative !== 'boolean') throw badChange('bank.negative must be a boolean');
  const t = raw.thresholds ?? {};
  if (!isObject(t)) throw badChange('bank.thresholds must be an object');
  const thresholds: BankConfig['thresholds'] = {};
  const pdq = checkRadius(t.pdq, 'thresholds.pdq');
  const blockhash = checkRadius(t.blockhash, 'thresholds.blockhash');
  if (pdq !== undefined) thresholds.pdq = pdq;
  if (blockhash !== undefined) thresholds.blockhash = blockhash;
  return { bankId, enabled: raw.enabled, negative: raw.negative, thresholds };
}

const SIGNAL_INDEX: Readonly<Record<Signal, number>> = { pdq: 0, blockhash: 1, md5: 2, sha1: 3, sha256: 4 };

/**
 * The in-memory bank state a scanner holds: every enabled bank's entries behind a Hamming index (PDQ,
 * blockhash) or an exact set (MD5, SHA-1, SHA-256), kept current by `applyChange` (idempotent, so replaying a
 * topic from any offset converges) and started quickly from `snapshot()`.
 *
 * Entries of a bank that has not been upserted yet are stored but not matched until its config arrives
 * (a bank's negative flag must be known before its hits mean anything).
 */
export class BankMatcher {
  private readonly opts: Required<Omit<BankMatcherOptions, 'capacity' | 'pdqChunks'>> & {
    pdqChunks?: number;
  };
  private readonly stores: SignalStore[];
  private readonly banksById = new Map<string, BankState>();
  private readonly locator = new EntryLocator(() => this.stores);
  private banksByIndex: (BankState | undefined)[] = [];
  private readonly hits = new SearchHits();
  private readonly q = new Uint32Array(8);
  private maxRadius = { pdq: -1, blockhash: -1 };

  constructor(options: BankMatcherOptions = {}) {
    const defaultPdqRadius = options.defaultPdqRadius ?? DEFAULT_PDQ_RADIUS;
    const defaultBlockhashRadius = options.defaultBlockhashRadius ?? DEFAULT_BLOCKHASH_RADIUS;
    const minPdqQuality = options.minPdqQuality ?? DEFAULT_MIN_PDQ_QUALITY;
    for (const [k, v] of [
      ['defaultPdqRadius', defaultPdqRadius],
      ['defaultBlockhashRadius', defaultBlockhashRadius],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 256) {
        throw new MatcherError(MatcherErrorCode.BadArgument, `${k} must be an integer in 0..256`);
      }
    }
    checkQuality(minPdqQuality);
    this.opts = { defaultPdqRadius, defaultBlockhashRadius, minPdqQuality };
    if (options.pdqChunks !== undefined) this.opts.pdqChunks = options.pdqChunks;
    this.stores = SIGNALS.map((s) => createStore(s, options.capacity?.[s], options.pdqChunks));
    const total = Object.values(options.capacity ?? {}).reduce((a, b) => a + (b ?? 0), 0);
    if (total > 0) this.locator.reserve(total);
  }

  /** Applies one bank change. Idempotent; throws `MatcherError` (BAD_CHANGE / BAD_HASH) on malformed input. */
  applyChange(change: BankChange): void {
    if (!isObject(change)) throw badChange('change must be an object');
    switch (change.type) {
      case 'entry-added':
        this.addEntry(validateEntry(change.entry));
        return;
      case 'entry-removed':
        this.removeEntry(checkId(change.bankId, 'bankId'), checkId(change.entryId, 'entryId'));
        return;
      case 'bank-upserted':
        this.upsertBank(validateBank(change.bank));
        return;
      case 'bank-removed':
        this.removeBank(checkId(change.bankId, 'bankId'));
        return;
      default:
        throw badChange(`unknown change type ${String((change as { type?: unknown }).type)}`);
    }
  }

  /** Current config of a bank, or undefined. */
  bank(bankId: string): BankConfig | undefined {
    const b = this.banksById.get(bankId);
    return b && b.config.bankId === bankId && this.isDeclared(b) ? structuredClone(b.config) : undefined;
  }

  /** The entry with this id in this bank, or undefined. */
  entry(bankId: string, entryId: string): BankEntry | undefined {
    const bank = this.banksById.get(bankId);
    const loc = bank === undefined ? undefined : this.locator.get(bank.index, entryId);
    if (loc === undefined) return undefined;
    const store = this.stores[loc & 7] as SignalStore;
    const slot = loc >>> 3;
    const out: BankEntry = { bankId, entryId, signal: store.signal, value: store.value(slot) };
    const q = store.quality[slot] ?? NO_QUALITY;
    if (q !== NO_QUALITY) out.quality = q;
    return out;
  }

  stats(): BankMatcherStats {
    const entries = {} as Record<Signal, number>;
    for (const s of this.stores) entries[s.signal] = s.size;
    let banks = 0;
    for (const b of this.banksById.values()) if (this.isDeclared(b)) banks++;
    return { banks, entries };
  }

  /**
   * Matches one piece of media against every enabled bank. Throws `MOD_ERR_MATCHER_BAD_HASH` on malformed
   * hex. PDQ variants (original, dihedral, trimmed) below the quality floor are skipped.
   */
  match(signals: MatchSignals, options: MatchOptions = {}): MatchResult {
    const minQuality = options.minPdqQuality ?? this.opts.minPdqQuality;
    checkQuality(minQuality);
    const best = new Map<number, MatchHit>();
    const pdq = signals.pdq;
    if (pdq && pdq.quality >= minQuality) this.matchHamming(0, pdq.hash, 'original', best);
    if (signals.pdqDihedral && pdq && pdq.quality >= minQuality) {
      signals.pdqDihedral.forEach((h, k) => this.matchHamming(0, h, `dihedral-${k}`, best));
    }
    const trimmed = signals.pdqTrimmed;
    if (trimmed && trimmed.quality >= minQuality) this.matchHamming(0, trimmed.hash, 'trimmed', best);
    if (signals.blockhash !== undefined) this.matchHamming(1, signals.blockhash, 'original', best);
    if (signals.md5 !== undefined) this.matchExact(2, signals.md5, best);
    if (signals.sha1 !== undefined) this.matchExact(3, signals.sha1, best);
    if (signals.sha256 !== undefined) this.matchExact(4, signals.sha256, best);

    const result: MatchResult = { hits: [], negativeHits: [] };
    for (const [loc, hit] of best) {
      const store = this.stores[loc & 7] as SignalStore;
      const bank = this.banksByIndex[store.bank[loc >>> 3] ?? -1];
      (bank?.config.negative ? result.negativeHits : result.hits).push(hit);
    }
    const order = (a: MatchHit, b: MatchHit): number =>
      a.distance - b.distance ||
      (a.bankId < b.bankId ? -1 : a.bankId > b.bankId ? 1 : 0) ||
      (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0);
    result.hits.sort(order);
    result.negativeHits.sort(order);
    return result;
  }

  /**
   * Whole-matcher snapshot as bytes in memory (tests, small banks). Scanners with large banks use
   * `writeSnapshot` / `readSnapshot`, which stream: a 60M-entry matcher is ~5 GB.
   */
  async snapshot(): Promise<Uint8Array> {
    const out = collectingSink();
    await this.writeSnapshot(out.sink);
    return out.bytes();
  }

  /** Restores a matcher from `snapshot()`. Rejects with `SnapshotError` on a corrupt or foreign snapshot. */
  static async fromSnapshot(bytes: Uint8Array): Promise<BankMatcher> {
    if (!(bytes instanceof Uint8Array)) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, 'bank matcher snapshot must be a Uint8Array');
    }
    let read = 0;
    const source = bytesSource(bytes);
    const matcher = await BankMatcher.readSnapshot((t) => {
      read += t.length;
      source(t);
    });
    if (read !== bytes.length) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, 'bank matcher snapshot has trailing bytes');
    }
    return matcher;
  }

  /**
   * Streams the whole matcher to `sink`: options, banks, then per signal the index (tables included, so a restart
   * reads instead of rebuilding), and the per-slot payload (bank, quality, numeric entry id) as typed arrays
   * written from their own memory; ids that are not decimal numbers as JSON groups. Ends with a CRC-32. The
   * matcher must not change until the promise resolves.
   */
  async writeSnapshot(sink: SnapshotSink): Promise<void> {
    const w = new StreamWriter(sink);
    await w.begin(SNAPSHOT_MAGIC, SNAPSHOT_VERSION);
    await w.string(JSON.stringify(this.opts));
    // Banks by index, removed ones as null: entries and the locator name banks by index.
    const banks = this.banksByIndex.map((b) =>
      b ? { config: b.config, declared: this.isDeclared(b) } : null,
    );
    await w.string(JSON.stringify(banks));
    for (const store of this.stores) {
      // Every index is written whole, so slots keep their numbers and the payload goes as it is in memory.
      if (store.hamming) await store.hamming.writeTo(w);
      else await (store.exact as ExactHashSet).writeTo(w);
      const limit = store.slotLimit;
      await w.array(store.bank.subarray(0, limit));
      await w.array(store.quality.subarray(0, limit));
      await w.array(store.idNum.subarray(0, limit));
      // Ids that are not numbers, as [slot, id] pairs in JSON groups of bounded size.
      const named = [...store.idStr].sort((a, b) => a[0] - b[0]);
      const groups = Math.ceil(named.length / ENTRY_ID_GROUP);
      w.u32(groups);
      for (let g = 0; g < groups; g++)
        await w.string(JSON.stringify(named.slice(g * ENTRY_ID_GROUP, (g + 1) * ENTRY_ID_GROUP)));
    }
    await this.locator.writeTo(w);
    await w.end();
  }

  /**
   * Restores a matcher from what `writeSnapshot` wrote, reading straight into the index's arrays. Throws
   * `SnapshotError` on a corrupt, truncated or foreign snapshot (the CRC is checked before it is returned), with
   * `MOD_ERR_MATCHER_SNAPSHOT_VERSION` for another format version (the caller loads from its source instead).
   */
  static async readSnapshot(source: SnapshotSource): Promise<BankMatcher> {
    const r = new StreamReader(source, 'bank matcher');
    try {
      await r.begin(SNAPSHOT_MAGIC, SNAPSHOT_VERSION);
      const matcher = await BankMatcher.readBody(r);
      await r.end();
      return matcher;
    } catch (cause) {
      if (cause instanceof SnapshotError) throw cause;
      throw new SnapshotError(
        MatcherErrorCode.CorruptSnapshot,
        'bank matcher snapshot has invalid contents',
        {
          cause,
        },
      );
    }
  }

  private static async readBody(r: StreamReader): Promise<BankMatcher> {
    const opts = JSON.parse(await r.string()) as BankMatcherOptions;
    const banks = JSON.parse(await r.string()) as ({ config: BankConfig; declared: boolean } | null)[];
    if (!Array.isArray(banks)) throw new Error('banks is not an array');
    const matcher = new BankMatcher(opts);
    matcher.banksByIndex = banks.map((b, i) => {
      if (b === null) return undefined;
      const c = validateBank(b.config);
      if (matcher.banksById.has(c.bankId)) throw new Error('a bank is listed twice');
      const state: BankState = { config: c, index: i, declared: b.declared === true };
      matcher.banksById.set(c.bankId, state);
      return state;
    });
    const bankCount = banks.length;
    let total = 0;
    for (let si = 0; si < SIGNALS.length; si++) {
      const signal = SIGNALS[si] as Signal;
      let store: SignalStore;
      if (signal === 'pdq' || signal === 'blockhash') {
        const index = await HammingIndex.readFrom(r);
        store = new SignalStore(signal, index, null, index.slotLimit);
      } else {
        const set = await ExactHashSet.readFrom(r);
        store = new SignalStore(signal, null, set, set.slotLimit);
      }
      const limit = store.slotLimit;
      if (limit > MAX_SLOT + 1) r.corrupt('has more entries than a location can name');
      await r.array((n) => new Int32Array(n), { expected: limit, into: store.bank });
      await r.array((n) => new Uint8Array(n), { expected: limit, into: store.quality });
      await r.array((n) => new Float64Array(n), { expected: limit, into: store.idNum });
      const groups = await r.u32();
      for (let g = 0; g < groups; g++) {
        const pairs = JSON.parse(await r.string()) as unknown;
        if (!Array.isArray(pairs)) throw new Error('entry ids are not an array');
        for (const p of pairs as unknown[]) {
          if (!Array.isArray(p) || typeof p[0] !== 'number' || typeof p[1] !== 'string')
            throw new Error('bad id');
          if (p[0] < 0 || p[0] >= limit || !Number.isNaN(store.idNum[p[0]] ?? 0))
            throw new Error('bad id slot');
          store.idStr.set(p[0], p[1]);
        }
      }
      // One sequential pass: every live slot belongs to a bank and has an id.
      const bank = store.bank;
      const ids = store.idNum;
      let live = 0;
      for (let slot = 0; slot < limit; slot++) {
        if (!store.has(slot)) continue;
        live++;
        const b = bank[slot] ?? -1;
        if (b < 0 || b >= bankCount || matcher.banksByIndex[b] === undefined) {
          throw new Error('entry of an unknown bank');
        }
        const n = ids[slot] ?? NaN;
        if (Number.isNaN(n) ? !store.idStr.has(slot) : !Number.isSafeInteger(n) || n < 0) {
          throw new Error('entry without an id');
        }
      }
      matcher.stores[si] = store;
      total += live;
    }
    await matcher.locator.readFrom(
      r,
      matcher.stores.map((store) => store.slotLimit),
    );
    if (matcher.locator.size !== total) r.corrupt('has a locator that does not list every entry');
    matcher.recomputeRadii();
    return matcher;
  }

  private isDeclared(b: BankState): boolean {
    return b.declared;
  }

  private addEntry(entry: BankEntry): void {
    const bank = this.bankState(entry.bankId);
    const si = SIGNAL_INDEX[entry.signal];
    const existing = this.locator.get(bank.index, entry.entryId);
    if (existing !== undefined) {
      const store = this.stores[existing & 7] as SignalStore;
      const slot = existing >>> 3;
      const q = store.quality[slot] ?? NO_QUALITY;
      if ((existing & 7) === si && store.value(slot) === entry.value && q === (entry.quality ?? NO_QUALITY))
        return;
      this.locator.delete(bank.index, entry.entryId);
      store.remove(slot);
    }
    const store = this.stores[si] as SignalStore;
    const slot = store.add(entry.value, bank.index, entry.entryId, entry.quality);
    this.locator.insert(si + 8 * slot);
  }

  private removeEntry(bankId: string, entryId: string): void {
    const bank = this.banksById.get(bankId);
    const loc = bank === undefined ? undefined : this.locator.delete(bank.index, entryId);
    if (loc === undefined) return;
    (this.stores[loc & 7] as SignalStore).remove(loc >>> 3);
  }

  private upsertBank(config: BankConfig): void {
    const bank = this.bankState(config.bankId);
    bank.config = config;
    bank.declared = true;
    this.recomputeRadii();
  }

  private removeBank(bankId: string): void {
    const bank = this.banksById.get(bankId);
    if (!bank) return;
    // The bank's entries are found by a pass over the payload (a bank removal is rare; its entries may be 60M).
    for (const store of this.stores) {
      for (const slot of store.liveSlots()) {
        if (store.bank[slot] !== bank.index) continue;
        this.locator.delete(bank.index, store.entryId(slot));
        store.remove(slot);
      }
    }
    this.banksById.delete(bankId);
    this.banksByIndex[bank.index] = undefined;
    this.recomputeRadii();
  }

  /** The bank's state, created (undeclared: not matched) when an entry arrives before its bank. */
  private bankState(bankId: string): BankState {
    let bank = this.banksById.get(bankId);
    if (!bank) {
      bank = {
        config: { bankId, enabled: false, negative: false, thresholds: {} },
        index: this.banksByIndex.length,
        declared: false,
      };
      this.banksById.set(bankId, bank);
      this.banksByIndex.push(bank);
    }
    return bank;
  }

  private radiusOf(bank: BankConfig, signal: 0 | 1): number {
    return signal === 0
      ? (bank.thresholds.pdq ?? this.opts.defaultPdqRadius)
      : (bank.thresholds.blockhash ?? this.opts.defaultBlockhashRadius);
  }

  private recomputeRadii(): void {
    const r = { pdq: -1, blockhash: -1 };
    for (const b of this.banksById.values()) {
      if (!b.config.enabled || !this.isDeclared(b)) continue;
      r.pdq = Math.max(r.pdq, this.radiusOf(b.config, 0));
      r.blockhash = Math.max(r.blockhash, this.radiusOf(b.config, 1));
    }
    this.maxRadius = r;
  }

  private parseQuery(hex: string, words: number, signal: Signal): void {
    if (typeof hex !== 'string' || !parseHexWordsInto(hex, words, this.q)) {
      throw new MatcherError(MatcherErrorCode.BadHash, `${signal} query must be ${words * 8} hex digits`);
    }
  }

  private matchHamming(si: 0 | 1, hex: string, via: MatchVia, best: Map<number, MatchHit>): void {
    const store = this.stores[si] as SignalStore;
    this.parseQuery(hex, 8, store.signal);
    const radius = si === 0 ? this.maxRadius.pdq : this.maxRadius.blockhash;
    if (radius < 0 || store.size === 0) return;
    const hits = this.hits;
    (store.hamming as HammingIndex).searchWords(this.q, 0, radius, hits);
    for (let h = 0; h < hits.count; h++) {
      const slot = hits.slots[h] ?? 0;
      const distance = hits.distances[h] ?? 0;
      const bank = this.banksByIndex[store.bank[slot] ?? -1];
      if (!bank || !bank.config.enabled || !this.isDeclared(bank)) continue;
      if (distance > this.radiusOf(bank.config, si)) continue;
      const loc = si + 8 * slot;
      const prev = best.get(loc);
      if (prev && prev.distance <= distance) continue;
      best.set(loc, {
        bankId: bank.config.bankId,
        entryId: store.entryId(slot),
        signal: store.signal,
        distance,
        via,
      });
    }
  }

  private matchExact(si: 2 | 3 | 4, hex: string, best: Map<number, MatchHit>): void {
    const store = this.stores[si] as SignalStore;
    const set = store.exact as ExactHashSet;
    if (typeof hex !== 'string' || hex.length !== set.digestBytes * 2) {
      throw new MatcherError(
        MatcherErrorCode.BadHash,
        `${store.signal} query must be ${set.digestBytes * 2} hex digits`,
      );
    }
    for (const slot of set.find(hex)) {
      const bank = this.banksByIndex[store.bank[slot] ?? -1];
      if (!bank || !bank.config.enabled || !this.isDeclared(bank)) continue;
      best.set(si + 8 * slot, {
        bankId: bank.config.bankId,
        entryId: store.entryId(slot),
        signal: store.signal,
        distance: 0,
        via: 'original',
      });
    }
  }
}

function checkQuality(q: number): void {
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > 101) {
    throw new MatcherError(MatcherErrorCode.BadArgument, `minPdqQuality must be an integer in 0..101`);
  }
}
