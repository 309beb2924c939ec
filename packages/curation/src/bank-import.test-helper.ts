import { Readable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import type { BankListFormat } from '@mod/matcher';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import {
  importBankList,
  type BankRef,
  type ImportListOptions,
  type ImportReport,
  type InTransaction,
} from './index.js';

/** Shared set-up of the bank tests: a schema of their own in the test PostgreSQL, and what they read back. */
export let db: TestDatabase;
export const topic = 'test.bank-changes';
/** A 64-hex-digit PDQ (or SHA-256) value made of one repeated byte. */
export const pdq = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
export const sha = pdq;

/** Creates the file's schema before its tests, drops it after. */
export function useBankDatabase(): void {
  beforeAll(async () => {
    db = await createTestSchema();
  });
  afterAll(async () => db.drop());
}

/** Every outbox message, in order. */
export async function outbox(): Promise<{ key: string; payload: { type: string } }[]> {
  const { rows } = await db.pool.query<{ key: string; payload: { type: string } }>(
    'select key, payload from outbox order by id',
  );
  return rows;
}

/** The options of `importList` beyond the list itself. */
export type ListImportOptions = Partial<Omit<ImportListOptions, 'format' | 'input' | 'changesTopic'>> &
  InTransaction<ImportReport>;

/**
 * `importBankList` into `bank` (its name, or `{ bankId }`) of a list given as text, one chunk or several as a
 * stream would give them, announcing on the test topic.
 */
export function importList(
  bank: string | { bankId: string },
  format: BankListFormat,
  chunks: string | readonly string[],
  options: ListImportOptions = {},
): Promise<ImportReport> {
  const ref: BankRef = typeof bank === 'string' ? { bankName: bank } : bank;
  const input = Readable.from(typeof chunks === 'string' ? [chunks] : chunks);
  return importBankList(db.pool, { ...ref, format, input, changesTopic: topic, ...options });
}
