import type { Readable } from 'node:stream';
import type { SignalType } from '@mod/contracts';
import { withTransaction, type Pool, type PoolClient } from '@mod/db';
import {
  enqueueBankUpserted,
  enqueueEntryChanges,
  insertBank,
  getBank,
  getBankByName,
  importBankEntries,
  type Bank,
  type BankEntryInput,
  type ImportDiff,
  type NewBank,
  type StagedEntry,
} from '@mod/db/banks';
import { BankListErrorCode, parseBankListBatches, type BankListFormat } from '@mod/matcher';
import { checkListImport, CurationError, CurationErrorCode } from './errors.js';

export interface LineError {
  lineNumber: number;
  code: string;
  message: string;
}

/**
 * Where a long import is, for an operator watching it: `reading` while the file is parsed and staged (lines
 * counts every entry line read so far, bad ones included), then `applying` once, when the whole file is staged
 * and the bank is being changed (in one transaction, which can take minutes for millions of lines).
 */
export interface ImportProgress {
  phase: 'reading' | 'applying';
  lines: number;
  badLines: number;
}

/** The bank an import goes to: by name (operators, CLI) or by id (API). */
export type BankRef = { bankName: string; bankId?: never } | { bankId: string; bankName?: never };

export type ImportRequest = BankRef & ImportListOptions & InTransaction<ImportReport>;

export interface ImportListOptions {
  format: BankListFormat;
  input: Readable | AsyncIterable<string | Uint8Array>;
  /** Reject the whole file when any line is bad (nothing is written). Default false: good lines are imported. */
  strict?: boolean;
  /** replace (default): the file is the whole bank; append: only add. */
  mode?: 'replace' | 'append';
  /** Replace even when most lines are bad (refused otherwise: `MOD_ERR_CURATION_MOSTLY_BAD_LINES`). */
  force?: boolean;
  changesTopic: string;
  /** Called for every bad line, as soon as it is found (so a 10M-line report needs no memory). */
  onLineError?: (e: LineError) => void;
  /**
   * Called with the counts after every parsed batch (one input chunk, about a thousand lines; never per line,
   * so the hot path stays a loop over the batch), then once with phase `applying`.
   */
  onProgress?: (p: ImportProgress) => void;
  /** Changed entries above which scanners reload the bank instead of receiving one message per entry. */
  bulkThreshold?: number;
  provenance?: string;
  /** Preview: everything is checked and counted as for the import, then rolled back; nothing changes. */
  dryRun?: boolean;
}

/**
 * A step of the caller's run in the transaction of a bank change once the change is made, before the commit,
 * with its result (e.g. to append the audit record, so that the change and its record commit together).
 * Throwing rolls the change back.
 */
export interface InTransaction<T> {
  inTransaction?: (c: PoolClient, result: T) => Promise<void>;
}

export interface ImportReport extends ImportDiff {
  bank: string;
  lines: number;
  badLines: number;
}

export async function findBank(pool: Pool, name: string): Promise<Bank> {
  const bank = await getBankByName(pool, name);
  if (!bank) throw new CurationError(CurationErrorCode.UnknownBank, `no bank named ${JSON.stringify(name)}`);
  return bank;
}

async function bankOf(pool: Pool, ref: BankRef): Promise<Bank> {
  if (ref.bankId === undefined) return findBank(pool, ref.bankName);
  const bank = await getBank(pool, ref.bankId);
  if (!bank)
    throw new CurationError(CurationErrorCode.UnknownBank, `no bank with id ${JSON.stringify(ref.bankId)}`);
  return bank;
}

/**
 * Imports a hash list into a bank: streams and validates every line (bad lines reported with line number and
 * reason), bulk-loads with COPY in one transaction, and returns the diff. Re-importing the same file changes
 * nothing. A strict import, or a replace import with no valid line, writes nothing. Memory stays bounded
 * whatever the list's length: lines that repeat an earlier line's signal and value are found by the database
 * once the whole list is staged, so they are reported after the other bad lines (in line order among
 * themselves), before anything changes.
 */
export async function importBankList(pool: Pool, req: ImportRequest): Promise<ImportReport> {
  const bank = await bankOf(pool, req);
  const after = req.inTransaction;
  let lines = 0;
  let badLines = 0;
  const batches = parseBankListBatches(req.input, {
    format: req.format,
    allowedSignals: bank.signalTypes,
    detectDuplicates: false,
  });
  async function* good(): AsyncGenerator<StagedEntry[]> {
    for await (const batch of batches) {
      const entries: StagedEntry[] = [];
      for (const r of batch) {
        lines++;
        if ('error' in r) {
          badLines++;
          req.onLineError?.({ lineNumber: r.lineNumber, code: r.error.code, message: r.error.message });
          continue;
        }
        entries.push({
          signal: r.entry.signal,
          value: r.entry.value,
          quality: r.entry.quality ?? null,
          category: r.entry.category ?? null,
          note: r.entry.note ?? null,
          lineNumber: r.lineNumber,
        });
      }
      req.onProgress?.({ phase: 'reading', lines, badLines });
      yield entries;
    }
  }
  const diff = await importBankEntries(pool, good(), {
    bankId: bank.id,
    mode: req.mode ?? 'replace',
    changesTopic: req.changesTopic,
    provenance: req.provenance ?? null,
    ...(req.bulkThreshold === undefined ? {} : { bulkThreshold: req.bulkThreshold }),
    dryRun: req.dryRun === true,
    // The parser's own message for a repeated line, with its code.
    onDuplicate: (lineNumber, first) => {
      badLines++;
      req.onLineError?.({
        lineNumber,
        code: BankListErrorCode.Duplicate,
        message: `duplicate of line ${first}`,
      });
    },
    beforeApply: () => {
      checkListImport('bank', req, { lines, badLines });
      req.onProgress?.({ phase: 'applying', lines, badLines });
    },
    ...(after === undefined
      ? {}
      : { afterApply: (c, d) => after(c, { bank: bank.name, lines, badLines, ...d }) }),
  });
  return { bank: bank.name, lines, badLines, ...diff };
}

/**
 * Creates a bank and tells every scanner its settings, in one transaction with the caller's `inTransaction` step
 * (its audit record). A bank of that name that exists already is returned as it is (`created: false`), and
 * nothing runs.
 */
export async function createBank(
  pool: Pool,
  bank: NewBank,
  changesTopic: string,
  options: InTransaction<Bank> = {},
): Promise<{ bank: Bank; created: boolean }> {
  return withTransaction(pool, async (c) => {
    const inserted = await insertBank(c, bank);
    if (!inserted.created) return inserted;
    await enqueueBankUpserted(c, inserted.bank.id, changesTopic);
    await options.inTransaction?.(c, inserted.bank);
    return inserted;
  });
}

export interface BankSettings {
  enabled?: boolean;
  negative?: boolean;
  pdqThreshold?: number;
  blockhashThreshold?: number;
  actionPolicy?: 'automatic' | 'review';
}

/**
 * Changes a bank's settings and tells every scanner, in one transaction with the caller's `inTransaction` step
 * (its audit record). Null when there is no such bank (nothing runs).
 */
export async function updateBankSettings(
  pool: Pool,
  bankId: string,
  s: BankSettings,
  changesTopic: string,
  options: InTransaction<Bank> = {},
): Promise<Bank | null> {
  return withTransaction(pool, async (c) => {
    const { rowCount } = await c.query(
      `/* curator:update-bank */ update banks set enabled = coalesce($2, enabled), negative = coalesce($3, negative),
         pdq_threshold = coalesce($4, pdq_threshold), blockhash_threshold = coalesce($5, blockhash_threshold),
         action_policy = coalesce($6, action_policy), updated_at = clock_timestamp() where id = $1`,
      [
        bankId,
        s.enabled ?? null,
        s.negative ?? null,
        s.pdqThreshold ?? null,
        s.blockhashThreshold ?? null,
        s.actionPolicy ?? null,
      ],
    );
    if (rowCount !== 1) return null;
    await enqueueBankUpserted(c, bankId, changesTopic);
    const bank = await getBank(c, bankId);
    if (bank === null) throw new Error('bank vanished inside its own transaction');
    await options.inTransaction?.(c, bank);
    return bank;
  });
}

/**
 * Adds entries to a bank (already-live ones are left alone) and tells every scanner, in one transaction with the
 * caller's `inTransaction` step (given the new ids; throwing rolls the addition back). Returns the new ids.
 */
export async function addEntries(
  pool: Pool,
  bankId: string,
  entries: readonly BankEntryInput[],
  changesTopic: string,
  options: InTransaction<string[]> = {},
): Promise<string[]> {
  if (entries.length === 0) return [];
  return withTransaction(pool, async (c) => {
    // Banks are never deleted (a trigger refuses it), so a bank seen here stays for the insert.
    if ((await getBank(c, bankId)) === null)
      throw new CurationError(CurationErrorCode.UnknownBank, `no bank with id ${JSON.stringify(bankId)}`);
    const { rows } = await c.query<{ id: number }>(
      `/* curator:add-entries */ insert into bank_entries (bank_id, signal, value, quality, category, provenance, note)
       select $1, e.signal, lower(e.value), e.quality, e.category, e.provenance, e.note
       from jsonb_to_recordset($2::jsonb) as e(signal text, value text, quality int, category text, provenance text, note text)
       on conflict (bank_id, signal, value) where removed_at is null do nothing returning id`,
      [bankId, JSON.stringify(entries)],
    );
    const ids = rows.map((r) => r.id);
    await enqueueEntryChanges(c, bankId, ids, [], changesTopic);
    const added = ids.map(String);
    await options.inTransaction?.(c, added);
    return added;
  });
}

/** Soft-removes live entries (history is kept) and tells every scanner. Returns how many were removed. */
export async function removeEntries(
  pool: Pool,
  bankId: string,
  entries: readonly { signal: SignalType; value: string }[],
  changesTopic: string,
): Promise<number> {
  return withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ id: number }>(
      `/* curator:remove-entries */ update bank_entries b set removed_at = now()
       from jsonb_to_recordset($2::jsonb) as e(signal text, value text)
       where b.bank_id = $1 and b.removed_at is null and b.signal = e.signal and b.value = lower(e.value) collate "C"
       returning b.id`,
      [bankId, JSON.stringify(entries)],
    );
    await enqueueEntryChanges(
      c,
      bankId,
      [],
      rows.map((r) => r.id),
      changesTopic,
    );
    return rows.length;
  });
}
