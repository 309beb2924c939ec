import { parseHexWordsInto } from './bits.js';
import { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
import type { ExactHashSet } from './exact-set.js';
import type { HammingIndex } from './hamming-index.js';
import { SearchHits } from './search-hits.js';
import { bytesSource, collectingSink } from './snapshot-stream.js';
import type { SnapshotSink, SnapshotSource } from './snapshot-stream.js';
import { SIGNALS, SIGNAL_INDEX } from './bank-model.js';
import type {
  BankChange,
  BankConfig,
  BankEntry,
  BankMatcherOptions,
  BankMatcherStats,
  BankState,
  MatchHit,
  MatchOptions,
  MatchResult,
  MatchSignals,
  MatchVia,
  Signal,
} from './bank-model.js';
import {
  badChange,
  checkId,
  checkQuality,
  isObject,
  resolveMatcherOptions,
  validateBank,
  validateEntry,
} from './bank-change-validation.js';
import type { ResolvedMatcherOptions } from './bank-change-validation.js';
import { readMatcherSnapshot, writeMatcherSnapshot } from './bank-matcher-snapshot.js';
import { EntryLocator } from './entry-locator.js';
import { NO_QUALITY, createStore } from './signal-store.js';
import type { SignalStore } from './signal-store.js';

/**
 * The in-memory bank state a scanner holds: every enabled bank's entries behind a Hamming index (PDQ,
 * blockhash) or an exact set (MD5, SHA-1, SHA-256), kept current by `applyChange` (idempotent, so replaying a
 * topic from any offset converges) and started quickly from `snapshot()`.
 *
 * Entries of a bank that has not been upserted yet are stored but not matched until its config arrives
 * (a bank's negative flag must be known before its hits mean anything).
 */
export class BankMatcher {
  private readonly opts: ResolvedMatcherOptions;
  private stores: readonly SignalStore[];
  private readonly banksById = new Map<string, BankState>();
  private locator = new EntryLocator(() => this.stores);
  private banksByIndex: (BankState | undefined)[] = [];
  private readonly hits = new SearchHits();
  private readonly q = new Uint32Array(8);
  private maxRadius = { pdq: -1, blockhash: -1 };

  constructor(options: BankMatcherOptions = {}) {
    this.opts = resolveMatcherOptions(options);
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

  /**
   * Removes the entries of a bank that `keep` refuses, by a pass over the payload as a bank removal does: a bank
   * reloaded in place gets its listed entries added first and the others removed after, so it is matched whole
   * throughout. Returns how many were removed.
   */
  retainEntries(bankId: string, keep: (entryId: string) => boolean): number {
    const bank = this.banksById.get(bankId);
    if (!bank) return 0;
    let removed = 0;
    for (const store of this.stores) {
      for (const slot of store.liveSlots()) {
        if (store.bank[slot] !== bank.index) continue;
        const entryId = store.entryId(slot);
        if (keep(entryId)) continue;
        this.locator.delete(bank.index, entryId);
        store.remove(slot);
        removed++;
      }
    }
    return removed;
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
   * Streams the whole matcher to `sink` (format: bank-matcher-snapshot.ts), tables included, so a restart reads
   * instead of rebuilding. The matcher must not change until the promise resolves.
   */
  async writeSnapshot(sink: SnapshotSink): Promise<void> {
    const { opts: options, banksByIndex, stores, locator } = this;
    await writeMatcherSnapshot({ options, banksByIndex, stores, locator }, sink);
  }

  /**
   * Restores a matcher from what `writeSnapshot` wrote, reading straight into the index's arrays. Throws
   * `SnapshotError` on a corrupt, truncated or foreign snapshot (the CRC is checked before it is returned), with
   * `MOD_ERR_MATCHER_SNAPSHOT_VERSION` for another format version (the caller loads from its source instead).
   */
  static async readSnapshot(source: SnapshotSource): Promise<BankMatcher> {
    return readMatcherSnapshot(source, (contents) => {
      const matcher = new BankMatcher(contents.options);
      matcher.stores = contents.stores;
      matcher.locator = contents.locator;
      matcher.banksByIndex = [...contents.banksByIndex];
      for (const b of matcher.banksByIndex) if (b) matcher.banksById.set(b.config.bankId, b);
      matcher.recomputeRadii();
      return matcher;
    });
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
