import { randomUUID } from 'node:crypto';
import type { SignalType } from '@mod/contracts';
import { queryOne, type Queryable } from './pool.js';

export interface Bank {
  id: string;
  name: string;
  source: string;
  licence: string | null;
  version: string | null;
  signalTypes: SignalType[];
  categoryScheme: string | null;
  enabled: boolean;
  negative: boolean;
  pdqThreshold: number;
  blockhashThreshold: number;
  actionPolicy: 'automatic' | 'review';
}

/** The settings a new bank may leave out (`insertBank` gives their defaults). */
type DefaultedBankSettings =
  | 'licence'
  | 'version'
  | 'categoryScheme'
  | 'enabled'
  | 'negative'
  | 'pdqThreshold'
  | 'blockhashThreshold';

export type NewBank = Omit<Bank, 'id' | DefaultedBankSettings> & Partial<Pick<Bank, DefaultedBankSettings>>;

interface BankRow {
  id: string;
  name: string;
  source: string;
  licence: string | null;
  version: string | null;
  signal_types: SignalType[];
  category_scheme: string | null;
  enabled: boolean;
  negative: boolean;
  pdq_threshold: number;
  blockhash_threshold: number;
  action_policy: 'automatic' | 'review';
}

const toBank = (r: BankRow): Bank => ({
  id: r.id,
  name: r.name,
  source: r.source,
  licence: r.licence,
  version: r.version,
  signalTypes: r.signal_types,
  categoryScheme: r.category_scheme,
  enabled: r.enabled,
  negative: r.negative,
  pdqThreshold: r.pdq_threshold,
  blockhashThreshold: r.blockhash_threshold,
  actionPolicy: r.action_policy,
});

/** Creates a bank, or returns the existing one with the same name (idempotent for seeding). */
export async function ensureBank(db: Queryable, bank: NewBank): Promise<Bank> {
  return (await insertBank(db, bank)).bank;
}

/** Creates the bank unless one of that name exists; `created` says which (an existing bank is left as it is). */
export async function insertBank(db: Queryable, bank: NewBank): Promise<{ bank: Bank; created: boolean }> {
  const { rows } = await db.query<BankRow & { created: boolean }>(
    `/* curator:ensure-bank */ insert into banks (id, name, source, licence, version, signal_types, category_scheme,
       enabled, negative, pdq_threshold, blockhash_threshold, action_policy)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     on conflict (name) do update set updated_at = banks.updated_at
     returning *, (xmax = 0) as created`,
    [
      randomUUID(),
      bank.name,
      bank.source,
      bank.licence ?? null,
      bank.version ?? null,
      bank.signalTypes,
      bank.categoryScheme ?? null,
      bank.enabled ?? true,
      bank.negative ?? false,
      bank.pdqThreshold ?? 31,
      bank.blockhashThreshold ?? 10,
      bank.actionPolicy,
    ],
  );
  const row = rows[0] as BankRow & { created: boolean };
  return { bank: toBank(row), created: row.created };
}

export async function listBanks(db: Queryable): Promise<Bank[]> {
  const { rows } = await db.query<BankRow>(`/* scanner:list-banks */ select * from banks order by name`);
  return rows.map(toBank);
}

/**
 * One bank by id, or null. `lock`: `for share`, in a transaction that relies on its settings (a settings change
 * waits for it, and it for a change under way).
 */
export async function getBank(db: Queryable, id: string, o: { lock?: boolean } = {}): Promise<Bank | null> {
  return queryOne(
    db,
    `/* curator:get-bank */ select * from banks where id = $1 ${o.lock === true ? 'for share' : ''}`,
    [id],
    toBank,
  );
}

/** One bank by its (unique) name, or null. */
export async function getBankByName(db: Queryable, name: string): Promise<Bank | null> {
  return queryOne(db, `/* curator:get-bank-by-name */ select * from banks where name = $1`, [name], toBank);
}

/**
 * The names of the enabled banks, negative ones or the others (`negative`), that list any of `entries` (live
 * entries of the same signal and value), in name order. A hit on a negative bank suppresses every other hit, so
 * one content listed on both sides makes the lists contradict each other.
 */
export async function banksListing(
  db: Queryable,
  entries: readonly { signal: string; value: string }[],
  o: { negative: boolean },
): Promise<string[]> {
  if (entries.length === 0) return [];
  const { rows } = await db.query<{ name: string }>(
    `/* curator:banks-listing */ select distinct b.name from bank_entries e join banks b on b.id = e.bank_id
     where e.removed_at is null and b.enabled and b.negative = $3
       and (e.signal, e.value) in (select * from unnest($1::text[], $2::text[]))
     order by b.name`,
    [entries.map((e) => e.signal), entries.map((e) => e.value), o.negative],
  );
  return rows.map((r) => r.name);
}

export interface BankEntryInput {
  signal: SignalType;
  value: string;
  quality?: number | null;
  category?: string | null;
  provenance?: string | null;
  note?: string | null;
}

export interface LiveEntry {
  entryId: string;
  bankId: string;
  signal: SignalType;
  value: string;
  quality: number | null;
  category: string | null;
}

export async function listLiveEntries(db: Queryable): Promise<LiveEntry[]> {
  const { rows } = await db.query<{
    id: number;
    bank_id: string;
    signal: SignalType;
    value: string;
    quality: number | null;
    category: string | null;
  }>(
    `/* scanner:live-entries */ select id, bank_id, signal, value, quality, category from bank_entries
     where removed_at is null order by id`,
  );
  return rows.map((r) => ({
    entryId: String(r.id),
    bankId: r.bank_id,
    signal: r.signal,
    value: r.value,
    quality: r.quality,
    category: r.category,
  }));
}
