import { randomUUID } from 'node:crypto';
import { insertBank, type Bank } from './banks.js';
import type { Queryable } from './pool.js';

/** A negative review bank of its own (a unique name), as bank proposals name one. */
export async function insertNegativeBank(db: Queryable): Promise<Bank> {
  const { bank } = await insertBank(db, {
    name: `negatives-${randomUUID()}`,
    source: 'test',
    signalTypes: ['sha256'],
    negative: true,
    actionPolicy: 'review',
  });
  return bank;
}
