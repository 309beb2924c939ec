import { MatcherErrorCode, SnapshotError } from './errors.js';
import { ExactHashSet } from './exact-set.js';
import { HammingIndex } from './hamming-index.js';
import { SIGNALS } from './bank-model.js';
import type { BankConfig, BankMatcherOptions, BankState, Signal } from './bank-model.js';
import { resolveMatcherOptions, validateBank } from './bank-change-validation.js';
import type { ResolvedMatcherOptions } from './bank-change-validation.js';
import { EntryLocator } from './entry-locator.js';
import { MAX_SLOT, SignalStore } from './signal-store.js';
import { StreamReader, StreamWriter } from './snapshot-stream.js';
import type { SnapshotSink, SnapshotSource } from './snapshot-stream.js';

const SNAPSHOT_MAGIC = 'MODBANKM';
/**
 * 3: banks keep their indices, exact sets are written whole (slots kept), payload arrays as they are in memory and
 * the (bank, entry id) locator's table as it is, so loading is reads and one sequential check, no per-entry
 * rebuild. 2 (tables included, locator rebuilt on load) is refused with `MOD_ERR_MATCHER_SNAPSHOT_VERSION`.
 */
const SNAPSHOT_VERSION = 3;
/** Entry ids that are not numbers are written as JSON groups of at most this many. */
const ENTRY_ID_GROUP = 100_000;

/** What a matcher snapshot holds: a matcher's whole state, as the matcher keeps it. */
export interface MatcherContents {
  readonly options: ResolvedMatcherOptions;
  /** Banks by index, removed ones undefined: entries and the locator name banks by index. */
  readonly banksByIndex: readonly (BankState | undefined)[];
  /** One store per signal, in `SIGNALS` order. */
  readonly stores: readonly SignalStore[];
  readonly locator: EntryLocator;
}

/**
 * Streams a matcher to `sink`: options, banks, then per signal the index (tables included, so a restart reads
 * instead of rebuilding), and the per-slot payload (bank, quality, numeric entry id) as typed arrays written from
 * their own memory; ids that are not decimal numbers as JSON groups. Ends with a CRC-32. The matcher must not
 * change until the promise resolves.
 */
export async function writeMatcherSnapshot(contents: MatcherContents, sink: SnapshotSink): Promise<void> {
  const w = new StreamWriter(sink);
  await w.begin(SNAPSHOT_MAGIC, SNAPSHOT_VERSION);
  await w.string(JSON.stringify(contents.options));
  const banks = contents.banksByIndex.map((b) => (b ? { config: b.config, declared: b.declared } : null));
  await w.string(JSON.stringify(banks));
  for (const store of contents.stores) {
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
  await contents.locator.writeTo(w);
  await w.end();
}

/**
 * Reads what `writeMatcherSnapshot` wrote, straight into the index's arrays, and makes a matcher of it with
 * `restore`. Throws `SnapshotError` on a corrupt, truncated or foreign snapshot (the CRC is checked before it
 * returns; anything `restore` throws is a corrupt snapshot too), with `MOD_ERR_MATCHER_SNAPSHOT_VERSION` for
 * another format version (the caller loads from its source instead).
 */
export async function readMatcherSnapshot<T>(
  source: SnapshotSource,
  restore: (contents: MatcherContents) => T,
): Promise<T> {
  const r = new StreamReader(source, 'bank matcher');
  try {
    await r.begin(SNAPSHOT_MAGIC, SNAPSHOT_VERSION);
    const matcher = restore(await readContents(r));
    await r.end();
    return matcher;
  } catch (cause) {
    if (cause instanceof SnapshotError) throw cause;
    throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, 'bank matcher snapshot has invalid contents', {
      cause,
    });
  }
}

async function readContents(r: StreamReader): Promise<MatcherContents> {
  const options = resolveMatcherOptions(JSON.parse(await r.string()) as BankMatcherOptions);
  const banks = JSON.parse(await r.string()) as ({ config: BankConfig; declared: boolean } | null)[];
  if (!Array.isArray(banks)) throw new Error('banks is not an array');
  const bankIds = new Set<string>();
  const banksByIndex = banks.map((b, i): BankState | undefined => {
    if (b === null) return undefined;
    const c = validateBank(b.config);
    if (bankIds.has(c.bankId)) throw new Error('a bank is listed twice');
    bankIds.add(c.bankId);
    return { config: c, index: i, declared: b.declared === true };
  });
  const stores: SignalStore[] = [];
  let total = 0;
  for (const signal of SIGNALS) {
    const store = await readStore(r, signal);
    total += checkPayload(store, banksByIndex);
    stores.push(store);
  }
  const locator = new EntryLocator(() => stores);
  await locator.readFrom(
    r,
    stores.map((store) => store.slotLimit),
  );
  if (locator.size !== total) r.corrupt('has a locator that does not list every entry');
  return { options, banksByIndex, stores, locator };
}

/** One signal's index and payload arrays, and its ids that are not numbers. */
async function readStore(r: StreamReader, signal: Signal): Promise<SignalStore> {
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
      if (p[0] < 0 || p[0] >= limit || !Number.isNaN(store.idNum[p[0]] ?? 0)) throw new Error('bad id slot');
      store.idStr.set(p[0], p[1]);
    }
  }
  return store;
}

/** One sequential pass: every live slot belongs to a bank and has an id. Returns the live count. */
function checkPayload(store: SignalStore, banksByIndex: readonly (BankState | undefined)[]): number {
  const limit = store.slotLimit;
  const bankCount = banksByIndex.length;
  const bank = store.bank;
  const ids = store.idNum;
  let live = 0;
  for (let slot = 0; slot < limit; slot++) {
    if (!store.has(slot)) continue;
    live++;
    const b = bank[slot] ?? -1;
    if (b < 0 || b >= bankCount || banksByIndex[b] === undefined) {
      throw new Error('entry of an unknown bank');
    }
    const n = ids[slot] ?? NaN;
    if (Number.isNaN(n) ? !store.idStr.has(slot) : !Number.isSafeInteger(n) || n < 0) {
      throw new Error('entry without an id');
    }
  }
  return live;
}
