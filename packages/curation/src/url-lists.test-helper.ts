import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe } from 'vitest';
import { urlListChangeCodec } from '@mod/contracts';
import { upsertTenant } from '@mod/db/access';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import {
  addUrlListPatterns,
  createUrlList,
  importUrlList,
  removeUrlListPatterns,
  type Curator,
  type UrlListImportRequest,
  type UrlListRemoval,
} from './index.js';

/** Shared set-up of the URL-list curation tests: a schema of their own in the test PostgreSQL. */
export let db: TestDatabase;
export const topic = 'test.url-list-changes';
export const by: Curator = {
  actor: { kind: 'user', id: 'curator-key-1' },
  role: 'curator',
  tenantId: 'hotline-1',
};

/**
 * The URL-list curation suite, whose tests stand in three files: `tests` under the suite's name, with a schema
 * of the file's own (and an ISP subscribed to blocking) created before them and dropped after.
 */
export function describeUrlListCuration(tests: () => void): void {
  describe('URL-list curation through PostgreSQL', () => {
    beforeAll(async () => {
      db = await createTestSchema();
      await upsertTenant(db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    });
    afterAll(async () => db.drop());
    tests();
  });
}

/** Outbox messages for the URL-list topic after `afterId`, decoded with the contract codec (as fetchers do). */
export async function changes(afterId = 0) {
  const { rows } = await db.pool.query<{ id: number; key: string; payload: unknown }>(
    'select id, key, payload from outbox where topic = $1 and id > $2 order by id',
    [topic, afterId],
  );
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    change: urlListChangeCodec.decode(Buffer.from(JSON.stringify(r.payload))),
  }));
}
export const lastOutboxId = async () =>
  (await db.pool.query<{ id: number | null }>('select max(id) as id from outbox')).rows[0]?.id ?? 0;

export async function newList(name: string) {
  return (await createUrlList(db.pool, { name, source: 'test', actionPolicy: 'automatic' }, topic, by)).bank;
}

/** What an import of the tests may set beyond the list and its text (the topic and curator are the tests'). */
export type TextImportOptions = Partial<
  Omit<UrlListImportRequest, 'bankId' | 'input' | 'changesTopic' | 'by'>
>;

/** `importUrlList` into list `bankId` of `text` in one chunk: txt and provenance `test` unless `options` say otherwise. */
export function importText(bankId: string, text: string, options: TextImportOptions = {}) {
  return importUrlList(db.pool, {
    bankId,
    format: 'txt',
    input: Readable.from([Buffer.from(text)]),
    changesTopic: topic,
    provenance: 'test',
    by,
    ...options,
  });
}

/** `addUrlListPatterns` of `entries` to list `bankId` by the tests' curator on their topic, provenance `test`. */
export function addPatterns(bankId: string, entries: readonly unknown[], options: { strict?: boolean } = {}) {
  return addUrlListPatterns(db.pool, {
    bankId,
    entries,
    changesTopic: topic,
    provenance: 'test',
    by,
    ...options,
  });
}

/** `removeUrlListPatterns` of `removals` from list `bankId`, for `reason`, by the tests' curator on their topic. */
export function removePatterns(bankId: string, removals: readonly UrlListRemoval[], reason: string) {
  return removeUrlListPatterns(db.pool, { bankId, removals, reason, changesTopic: topic, by });
}
