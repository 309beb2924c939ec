import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { copyTextField } from './copy-text.js';
import type { Pool, PoolClient, Queryable } from './pool.js';
import { setLocalStatementTimeout, withTransaction } from './pool.js';
import { withRolledBackTransaction } from './dry-run.js';
import type { UrlListPattern } from './urls-lists.js';
import { findEscapedKeyUrlListEntries, lockUrlListBank } from './urls-lists-curation.js';

const { from: copyFrom } = copyStreams;

// Bulk import of a URL list into its bank, in one transaction, and the outbox messages that announce the changes
// (one message per entry, or one `url-lists-resync` when a bulk change passes the threshold).

/** One validated, normalised entry of an import (see `@mod/curation`). */
export interface StagedUrlEntry extends UrlListPattern {
  lineNumber: number;
  note: string | null;
  provenance: string | null;
}

export interface UrlListImportOptions {
  bankId: string;
  /** replace: the list is the whole bank (entries not in it are soft-removed); append: only add and update. */
  mode: 'replace' | 'append';
  changesTopic: string;
  /** Above this many changed entries one `url-lists-resync` message replaces per-entry messages. Default 10000. */
  bulkThreshold?: number;
  /** Runs after the list is staged and before anything changes; throwing rolls the whole import back. */
  beforeApply?: () => void;
  /** Preview: the import runs to its end (same statements, same counts) and is rolled back. Default false. */
  dryRun?: boolean;
  /**
   * The key a pattern has now (`canonicalPatternKey` of @mod/urls; throwing: none): live entries stored under a key
   * an older rule gave (`findEscapedKeyUrlListEntries`) are matched by it, so a line of the same page finds them.
   */
  keyNow?: (kind: string, pattern: string) => string;
}

export interface UrlListImportDiff {
  /** New entries. */
  added: number;
  /** Entries whose flags (dedicated, block, category) changed: the old entry removed, a new one added. */
  updated: number;
  /** Entries removed (replace mode: live entries the list no longer has). */
  removed: number;
  /** Entries of the list already live as they are. */
  unchanged: number;
  /** Lines repeating an entry (same kind and canonical key) of an earlier line; the first one counts. */
  duplicates: number;
  /** Whether fetchers were told to reload instead of receiving one message per entry. */
  resync: boolean;
  /** Ids of the entries added (new and updated), in id order; empty for a resync. */
  addedIds: string[];
  /** Ids of the entries removed (gone and updated), in id order; empty for a resync. */
  removedIds: string[];
}

async function* copyLines(
  entries: AsyncIterable<StagedUrlEntry>,
  counter: { n: number },
): AsyncGenerator<string> {
  let batch: string[] = [];
  for await (const e of entries) {
    counter.n++;
    batch.push(
      [
        e.lineNumber,
        e.kind,
        e.pattern,
        e.canonicalKey,
        e.dedicatedToAbuse,
        e.block,
        e.category,
        e.note,
        e.provenance,
      ]
        .map(copyTextField)
        .join('\t') + '\n',
    );
    if (batch.length >= 2000) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

/**
 * Imports validated entries into a URL-list bank in ONE transaction: COPY into a temporary table (bounded
 * memory whatever the size), then adds what is new, replaces entries whose flags changed, soft-removes what is
 * gone (replace mode), and announces the changes through the outbox. Idempotent: the same list again changes
 * nothing. Lines repeating an earlier entry of the list are counted as duplicates.
 */
export async function importUrlListEntries(
  pool: Pool,
  entries: AsyncIterable<StagedUrlEntry>,
  options: UrlListImportOptions,
): Promise<UrlListImportDiff> {
  const threshold = options.bulkThreshold ?? 10_000;
  const transaction = options.dryRun === true ? withRolledBackTransaction : withTransaction;
  return transaction(pool, async (c) => {
    await lockUrlListBank(c, options.bankId);
    await c.query(
      `/* curator:url-stage */ create temp table url_stage (line int not null, kind text not null,
         pattern text not null, canonical_key text not null, dedicated boolean not null, block boolean not null,
         category text, note text, provenance text) on commit drop`,
    );
    await c.query(`set local work_mem = '256MB'`);
    await c.query(`set local synchronous_commit = off`);
    await setLocalStatementTimeout(c, 30 * 60_000);
    const staged = { n: 0 };
    await pipeline(
      Readable.from(copyLines(entries, staged)),
      c.query(
        copyFrom(
          'copy url_stage (line, kind, pattern, canonical_key, dedicated, block, category, note, provenance) from stdin',
        ),
      ),
    );
    options.beforeApply?.();
    // The first line of each (kind, key) counts; later ones are duplicates.
    await c.query(
      `/* curator:url-dedup */ create temp table url_list on commit drop as
       select distinct on (kind, canonical_key) * from url_stage order by kind, canonical_key, line`,
    );
    await c.query(`analyze url_list`);
    await stageOlderKeys(c, options);
    const distinct =
      (await c.query<{ n: number }>(`select count(*)::int as n from url_list`)).rows[0]?.n ?? 0;
    const gone = await c.query<{ id: number; replaced: boolean }>(
      `/* curator:url-import-remove */ update url_list_entries e set removed_at = now()
       from (
         select e2.id, s.kind is not null as replaced
         from url_list_entries e2
         left join url_rekey rk on rk.id = e2.id
         left join url_list s on s.kind = e2.kind and s.canonical_key = coalesce(rk.key_now, e2.canonical_key)
         where e2.bank_id = $1 and e2.removed_at is null
           and ((s.kind is null and $2::text = 'replace')
             or (s.kind is not null and (s.dedicated, s.block, s.category)
                   is distinct from (e2.dedicated_to_abuse, e2.block, e2.category)))
       ) g
       where e.id = g.id returning e.id, g.replaced`,
      [options.bankId, options.mode],
    );
    const added = await c.query<{ id: number }>(
      `/* curator:url-import-add */ insert into url_list_entries (bank_id, kind, pattern, canonical_key,
         dedicated_to_abuse, block, category, provenance, note)
       select $1::uuid, s.kind, s.pattern, s.canonical_key, s.dedicated, s.block, s.category, s.provenance, s.note
       from url_list s
       where not exists (select 1 from url_list_entries e where e.bank_id = $1 and e.removed_at is null
                         and e.kind = s.kind and text_key(e.canonical_key) = text_key(s.canonical_key)
                         and e.canonical_key = s.canonical_key)
         and not exists (select 1 from url_rekey rk join url_list_entries e on e.id = rk.id
                         where e.removed_at is null and rk.kind = s.kind and rk.key_now = s.canonical_key)
       order by s.line returning id`,
      [options.bankId],
    );
    const updated = gone.rows.filter((r) => r.replaced).length;
    const removedIds = gone.rows.map((r) => r.id).sort((a, b) => a - b);
    const addedIds = added.rows.map((r) => r.id).sort((a, b) => a - b);
    const changed = removedIds.length + addedIds.length;
    const resync = changed > threshold;
    if (changed > 0) {
      await c.query(
        `/* curator:url-touch-bank */ update banks set updated_at = clock_timestamp() where id = $1`,
        [options.bankId],
      );
      if (resync) await enqueueUrlListResync(c, options.bankId, options.changesTopic);
      else await enqueueUrlEntryChanges(c, options.bankId, addedIds, removedIds, options.changesTopic);
    }
    return {
      added: addedIds.length - updated,
      updated,
      removed: removedIds.length - updated,
      unchanged: distinct - addedIds.length,
      duplicates: staged.n - distinct,
      resync,
      addedIds: resync ? [] : addedIds.map(String),
      removedIds: resync ? [] : removedIds.map(String),
    };
  });
}

/**
 * `url_rekey`: the bank's live entries stored under a key an older rule gave, with the key their pattern has now
 * (`keyNow`), which the import's statements match the staged lines on.
 */
async function stageOlderKeys(c: PoolClient, options: UrlListImportOptions): Promise<void> {
  await c.query(
    `/* curator:url-rekey */ create temp table url_rekey (id bigint not null, kind text not null,
       key_now text not null) on commit drop`,
  );
  const keyNow = options.keyNow;
  if (keyNow === undefined) return;
  const rows: { id: string; kind: string; key: string }[] = [];
  for (const e of await findEscapedKeyUrlListEntries(c, options.bankId)) {
    try {
      const key = keyNow(e.kind, e.pattern);
      if (key !== e.canonicalKey) rows.push({ id: e.id, kind: e.kind, key });
    } catch {
      // A pattern the rule refuses now: matched by its stored key only.
    }
  }
  if (rows.length > 0)
    await c.query(
      `/* curator:url-rekey-fill */ insert into url_rekey select * from unnest($1::bigint[], $2::text[], $3::text[])`,
      [rows.map((r) => r.id), rows.map((r) => r.kind), rows.map((r) => r.key)],
    );
}

/** Tells every fetcher to reload its URL lists from PostgreSQL (after a bulk change). */
export async function enqueueUrlListResync(db: Queryable, bankId: string, topic: string): Promise<void> {
  await db.query(
    `/* curator:url-enqueue-resync */ insert into outbox (topic, key, payload) values ($1, $2, $3)`,
    [topic, `url-resync:${bankId}`, JSON.stringify({ type: 'url-lists-resync', bankId })],
  );
}

/** Entry changes as outbox rows, built in SQL (no round trip per entry): removals first, then additions. */
export async function enqueueUrlEntryChanges(
  c: PoolClient | Queryable,
  bankId: string,
  addedIds: readonly number[],
  removedIds: readonly number[],
  topic: string,
): Promise<void> {
  if (removedIds.length > 0) {
    await c.query(
      `/* curator:url-enqueue-removed */ insert into outbox (topic, key, payload)
       select $1, 'url-entry:' || r.id, jsonb_build_object('type', 'url-entry-removed', 'entryId', r.id::text,
         'bankId', $3::text)
       from unnest($2::bigint[]) as r(id) order by r.id`,
      [topic, removedIds, bankId],
    );
  }
  if (addedIds.length > 0) {
    await c.query(
      `/* curator:url-enqueue-added */ insert into outbox (topic, key, payload)
       select $1, 'url-entry:' || e.id, jsonb_build_object('type', 'url-entry-added', 'entry', jsonb_build_object(
         'entryId', e.id::text, 'bankId', e.bank_id::text, 'kind', e.kind, 'pattern', e.pattern,
         'dedicatedToAbuse', e.dedicated_to_abuse, 'category', e.category))
       from url_list_entries e where e.id = any($2::bigint[]) order by e.id`,
      [topic, addedIds],
    );
  }
}
