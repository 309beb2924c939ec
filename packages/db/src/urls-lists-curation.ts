import { queryOne, type Queryable } from './pool.js';
import {
  toUrlListPattern,
  type UrlListEntryKind,
  type UrlListPattern,
  type UrlListPatternColumns,
} from './urls-lists.js';

/**
 * Curation of URL-list banks: the banks and entries as curators see them, the bank lock writers take, and
 * bank-scoped removal (bulk import is `urls-lists-import.ts`). Every change is announced on the compacted URL-list
 * changes topic through the outbox, in the same transaction, so fetchers and ISP feeds see it. Callers validate
 * and normalise patterns first (`@mod/curation`, with `@mod/urls`); this module only stores them.
 */

/** A URL-list bank's settings. */
export interface UrlBank {
  id: string;
  name: string;
  source: string;
  licence: string | null;
  version: string | null;
  enabled: boolean;
  negative: boolean;
  actionPolicy: 'automatic' | 'review';
  /** Live entries. */
  entries: number;
}

/** An entry as curators see it (live or removed). */
export interface UrlListEntryRecord extends UrlListPattern {
  id: string;
  provenance: string | null;
  note: string | null;
  addedAt: string;
  removedAt: string | null;
}

interface RecordRow extends UrlListPatternColumns {
  id: number;
  provenance: string | null;
  note: string | null;
  added_at: Date;
  removed_at: Date | null;
}

const RECORD_COLUMNS = `e.id, e.kind, e.pattern, e.canonical_key, e.dedicated_to_abuse, e.block, e.category,
  e.provenance, e.note, e.added_at, e.removed_at`;

const toRecord = (r: RecordRow): UrlListEntryRecord => ({
  id: String(r.id),
  ...toUrlListPattern(r),
  provenance: r.provenance,
  note: r.note,
  addedAt: r.added_at.toISOString(),
  removedAt: r.removed_at === null ? null : r.removed_at.toISOString(),
});

/** A {@link UrlBank} as `URL_BANK_SELECT` reads it. */
interface UrlBankRow extends Omit<UrlBank, 'actionPolicy'> {
  action_policy: UrlBank['actionPolicy'];
}

const toUrlBank = (r: UrlBankRow): UrlBank => ({
  id: r.id,
  name: r.name,
  source: r.source,
  licence: r.licence,
  version: r.version,
  enabled: r.enabled,
  negative: r.negative,
  actionPolicy: r.action_policy,
  entries: r.entries,
});

const URL_BANK_SELECT = `select b.id, b.name, b.source, b.licence, b.version, b.enabled, b.negative, b.action_policy,
  (select count(*)::int from url_list_entries e where e.bank_id = b.id and e.removed_at is null) as entries
  from banks b where 'url' = any(b.signal_types)`;

/** URL-list banks (signal type `url`), by name. */
export async function listUrlListBanks(db: Queryable): Promise<UrlBank[]> {
  const { rows } = await db.query<UrlBankRow>(`/* curator:url-banks */ ${URL_BANK_SELECT} order by b.name`);
  return rows.map(toUrlBank);
}

/** One URL-list bank by id or by name; null when there is none (or it is a hash bank). */
export async function getUrlListBank(
  db: Queryable,
  by: { id: string } | { name: string },
): Promise<UrlBank | null> {
  return queryOne(
    db,
    'id' in by
      ? `/* curator:url-bank-by-id */ ${URL_BANK_SELECT} and b.id = $1::uuid`
      : `/* curator:url-bank-by-name */ ${URL_BANK_SELECT} and b.name = $1`,
    ['id' in by ? by.id : by.name],
    toUrlBank,
  );
}

/** Serialises writers of one URL-list bank (adds, removals, imports) for the rest of the transaction. */
export async function lockUrlListBank(db: Queryable, bankId: string): Promise<void> {
  await db.query(
    `/* curator:url-bank-lock */ select pg_advisory_xact_lock(hashtext('mod-url-list:' || $1))`,
    [bankId],
  );
}

/**
 * Keys stored before `FEED_RENDER_VERSION` 4 (@mod/urls) kept escapes the normaliser now decodes (`%7C`, `%27`,
 * `%21`...), and stored rows never change: the live `url` and `prefix` entries of a bank whose key holds such an
 * escape, for the caller to key again and find under the key the index matches on.
 */
export async function findEscapedKeyUrlListEntries(
  db: Queryable,
  bankId: string,
): Promise<UrlListEntryRecord[]> {
  const { rows } = await db.query<RecordRow>(
    `/* curator:url-escaped-keys */ select ${RECORD_COLUMNS} from url_list_entries e
     where e.bank_id = $1 and e.removed_at is null and e.kind in ('url', 'prefix')
       and e.canonical_key ~ '%(2[146789ABC]|3A|3D|40|5[BCDE]|60|7[BCD])' order by e.id`,
    [bankId],
  );
  return rows.map(toRecord);
}

export interface UrlListEntryQuery {
  /** Entries with an id above this (keyset pagination). Default: from the start. */
  afterId?: string;
  limit: number;
  /** Also removed entries (their history). Default false. */
  includeRemoved?: boolean;
  kind?: UrlListEntryKind;
}

/** One page of a bank's entries in id order. */
export async function listUrlListEntries(
  db: Queryable,
  bankId: string,
  q: UrlListEntryQuery,
): Promise<UrlListEntryRecord[]> {
  const { rows } = await db.query<RecordRow>(
    `/* curator:url-entries */ select ${RECORD_COLUMNS} from url_list_entries e
     where e.bank_id = $1 and e.id > $2 and ($3::boolean or e.removed_at is null)
       and ($4::text is null or e.kind = $4)
     order by e.id limit $5`,
    [bankId, Number(q.afterId ?? 0), q.includeRemoved ?? false, q.kind ?? null, q.limit],
  );
  return rows.map(toRecord);
}

/** Live entries of a bank by id and/or by (kind, canonical key); what is not live is simply absent. */
export async function findLiveUrlListEntries(
  db: Queryable,
  bankId: string,
  wanted: { ids?: readonly string[]; keys?: readonly { kind: UrlListEntryKind; canonicalKey: string }[] },
): Promise<UrlListEntryRecord[]> {
  const ids = (wanted.ids ?? []).filter((id) => /^[0-9]{1,18}$/.test(id)).map(Number);
  const keys = wanted.keys ?? [];
  const { rows } = await db.query<RecordRow>(
    `/* curator:url-find-live */ select ${RECORD_COLUMNS} from url_list_entries e
     where e.bank_id = $1 and e.removed_at is null
       and (e.id = any($2::bigint[])
         or (e.kind, text_key(e.canonical_key), e.canonical_key) in
           (select k, text_key(c), c from unnest($3::text[], $4::text[]) as x(k, c)))
     order by e.id`,
    [bankId, ids, keys.map((k) => k.kind), keys.map((k) => k.canonicalKey)],
  );
  return rows.map(toRecord);
}

/**
 * Soft-removes live entries of one bank (history is kept) and announces each removal. Run inside a
 * transaction. Returns the entries removed with their removal time, in id order (entries not live in this bank
 * are left alone).
 */
export async function removeUrlListEntries(
  db: Queryable,
  bankId: string,
  ids: readonly string[],
  changesTopic: string,
): Promise<{ id: string; removedAt: string }[]> {
  const { rows } = await db.query<{ id: number; removed_at: Date }>(
    `/* curator:url-remove */ with gone as (
       update url_list_entries set removed_at = now()
       where bank_id = $1 and removed_at is null and id = any($2::bigint[]) returning id, removed_at),
     announced as (
       insert into outbox (topic, key, payload)
       select $3, 'url-entry:' || g.id, jsonb_build_object('type', 'url-entry-removed', 'entryId', g.id::text,
         'bankId', $1::text)
       from gone g order by g.id)
     select id, removed_at from gone order by id`,
    [bankId, ids.filter((id) => /^[0-9]{1,18}$/.test(id)).map(Number), changesTopic],
  );
  return rows.map((r) => ({ id: String(r.id), removedAt: r.removed_at.toISOString() }));
}
