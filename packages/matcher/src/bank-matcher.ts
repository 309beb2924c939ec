import { parseHexWordsInto } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { HammingIndex, SearchHits } from './hamming-index.js';
import { ByteWriter, openSnapshot, sealSnapshot } from './snapshot-io.js';
import type { ByteReader } from './snapshot-io.js';

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
const SNAPSHOT_VERSION = 1;
const ENTRY_ID_GROUP = 100_000;

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
  /** entryId -> location (signal index + 8 * slot). */
  entries: Map<string, number>;
}

/** Slot-indexed payload next to an index: which bank and entry a slot belongs to. */
class SignalStore {
  bank: Int32Array;
  quality: Uint8Array;
  entryIds: (string | undefined)[] = [];

  constructor(
    readonly signal: Signal,
    readonly hamming: HammingIndex | null,
    readonly exact: ExactHashSet | null,
  ) {
    this.bank = new Int32Array(16);
    this.quality = new Uint8Array(16);
  }

  get size(): number {
    return this.hamming ? this.hamming.size : (this.exact?.size ?? 0);
  }

  add(value: string, bankIndex: number, entryId: string, quality: number | undefined): number {
    const slot = this.hamming ? this.hamming.add(value) : (this.exact as ExactHashSet).add(value);
    this.setPayload(slot, bankIndex, entryId, quality);
    return slot;
  }

  setPayload(slot: number, bankIndex: number, entryId: string, quality: number | undefined): void {
    if (slot >= this.bank.length) {
      const cap = Math.max(slot + 1, this.bank.length * 2);
      const bank = new Int32Array(cap);
      bank.set(this.bank);
      this.bank = bank;
      const q = new Uint8Array(cap);
      q.set(this.quality);
      this.quality = q;
    }
    this.bank[slot] = bankIndex;
    this.quality[slot] = quality ?? NO_QUALITY;
    this.entryIds[slot] = entryId;
  }

  remove(slot: number): void {
    if (this.hamming) this.hamming.remove(slot);
    else this.exact?.remove(slot);
    this.entryIds[slot] = undefined;
    this.bank[slot] = -1;
  }

  value(slot: number): string {
    return this.hamming ? this.hamming.get(slot) : (this.exact as ExactHashSet).get(slot);
  }

  liveSlots(): Int32Array {
    return this.hamming ? this.hamming.liveSlots() : (this.exact as ExactHashSet).liveSlots();
  }
}

function createStore(signal: Signal, capacity: number | undefined): SignalStore {
  if (signal === 'pdq' || signal === 'blockhash')
    return new SignalStore(signal, new HammingIndex({ capacity }), null);
  const digestBytes = signal === 'md5' ? 16 : signal === 'sha1' ? 20 : 32;
  return new SignalStore(signal, null, new ExactHashSet({ digestBytes, capacity }));
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
  private readonly opts: Required<Omit<BankMatcherOptions, 'capacity'>>;
  private readonly stores: SignalStore[];
  private readonly banksById = new Map<string, BankState>();
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
    this.stores = SIGNALS.map((s) => createStore(s, options.capacity?.[s]));
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
    const loc = this.banksById.get(bankId)?.entries.get(entryId);
    if (loc === undefined) return undefined;
    const store = this.stores[loc % 8] as SignalStore;
    const slot = Math.floor(loc / 8);
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
      const store = this.stores[loc % 8] as SignalStore;
      const bank = this.banksByIndex[store.bank[Math.floor(loc / 8)] ?? -1];
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

  /** Whole-matcher snapshot: options, banks, then per signal the index snapshot and slot payloads. CRC-32. */
  snapshot(): Uint8Array {
    const w = new ByteWriter();
    w.string(JSON.stringify(this.opts));
    // Renumber live banks densely.
    const remap = new Map<number, number>();
    const banks: { config: BankConfig; declared: boolean }[] = [];
    for (const b of this.banksById.values()) {
      remap.set(b.index, banks.length);
      banks.push({ config: b.config, declared: this.isDeclared(b) });
    }
    w.string(JSON.stringify(banks));
    for (const store of this.stores) {
      const slots = store.liveSlots();
      w.bytes(store.hamming ? store.hamming.serialize() : (store.exact as ExactHashSet).serialize());
      const bankOf = new Uint32Array(slots.length);
      const quality = new Uint8Array(slots.length);
      for (let j = 0; j < slots.length; j++) {
        const s = slots[j] ?? 0;
        bankOf[j] = remap.get(store.bank[s] ?? -1) ?? 0;
        quality[j] = store.quality[s] ?? NO_QUALITY;
      }
      w.words(bankOf);
      w.bytes(quality);
      // Entry ids as JSON arrays of bounded size (a single string of 10M ids would pass V8's string limit).
      const groups = Math.ceil(slots.length / ENTRY_ID_GROUP);
      w.u32(groups);
      for (let g = 0; g < groups; g++) {
        const ids: string[] = [];
        const end = Math.min(slots.length, (g + 1) * ENTRY_ID_GROUP);
        for (let j = g * ENTRY_ID_GROUP; j < end; j++) ids.push(store.entryIds[slots[j] ?? 0] ?? '');
        w.string(JSON.stringify(ids));
      }
    }
    return sealSnapshot(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, w);
  }

  /** Restores a matcher from `snapshot()`. Throws `SnapshotError` on a corrupt or foreign snapshot. */
  static fromSnapshot(bytes: Uint8Array): BankMatcher {
    const r = openSnapshot(bytes, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, 'bank matcher');
    try {
      return BankMatcher.readBody(r);
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

  private static readBody(r: ByteReader): BankMatcher {
    const opts = JSON.parse(r.string()) as BankMatcherOptions;
    const banks = JSON.parse(r.string()) as { config: BankConfig; declared: boolean }[];
    if (!Array.isArray(banks)) throw new Error('banks is not an array');
    const matcher = new BankMatcher(opts);
    banks.forEach(({ config, declared }, i) => {
      const c = validateBank(config);
      const state: BankState = { config: c, index: i, declared: declared === true, entries: new Map() };
      matcher.banksById.set(c.bankId, state);
      matcher.banksByIndex[i] = state;
    });
    for (let si = 0; si < SIGNALS.length; si++) {
      const signal = SIGNALS[si] as Signal;
      const indexBytes = r.bytes();
      const store =
        signal === 'pdq' || signal === 'blockhash'
          ? new SignalStore(signal, HammingIndex.deserialize(indexBytes), null)
          : new SignalStore(signal, null, ExactHashSet.deserialize(indexBytes));
      const bankOf = r.words();
      const quality = r.bytes();
      const groups = r.u32();
      const n = store.size;
      if (bankOf.length !== n || quality.length !== n) throw new Error('payload length mismatch');
      let slot = 0;
      for (let g = 0; g < groups; g++) {
        const ids = JSON.parse(r.string()) as unknown;
        if (!Array.isArray(ids)) throw new Error('entry ids are not an array');
        for (const id of ids) {
          const bank = matcher.banksByIndex[bankOf[slot] ?? -1];
          if (!bank || typeof id !== 'string' || slot >= n) throw new Error('bad entry payload');
          const q = quality[slot] ?? NO_QUALITY;
          store.setPayload(slot, bank.index, id, q === NO_QUALITY ? undefined : q);
          bank.entries.set(id, si + 8 * slot);
          slot++;
        }
      }
      if (slot !== n) throw new Error('entry id count mismatch');
      matcher.stores[si] = store;
    }
    r.end();
    matcher.recomputeRadii();
    return matcher;
  }

  private isDeclared(b: BankState): boolean {
    return b.declared;
  }

  private addEntry(entry: BankEntry): void {
    const bank = this.bankState(entry.bankId);
    const si = SIGNAL_INDEX[entry.signal];
    const existing = bank.entries.get(entry.entryId);
    if (existing !== undefined) {
      const store = this.stores[existing % 8] as SignalStore;
      const slot = Math.floor(existing / 8);
      const q = store.quality[slot] ?? NO_QUALITY;
      if (existing % 8 === si && store.value(slot) === entry.value && q === (entry.quality ?? NO_QUALITY))
        return;
      store.remove(slot);
      bank.entries.delete(entry.entryId);
    }
    const store = this.stores[si] as SignalStore;
    const slot = store.add(entry.value, bank.index, entry.entryId, entry.quality);
    bank.entries.set(entry.entryId, si + 8 * slot);
  }

  private removeEntry(bankId: string, entryId: string): void {
    const bank = this.banksById.get(bankId);
    const loc = bank?.entries.get(entryId);
    if (!bank || loc === undefined) return;
    (this.stores[loc % 8] as SignalStore).remove(Math.floor(loc / 8));
    bank.entries.delete(entryId);
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
    for (const loc of bank.entries.values())
      (this.stores[loc % 8] as SignalStore).remove(Math.floor(loc / 8));
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
        entries: new Map(),
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
        entryId: store.entryIds[slot] ?? '',
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
        entryId: store.entryIds[slot] ?? '',
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
