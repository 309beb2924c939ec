import { queryOne, type Queryable } from './pool.js';
import { enqueueOutbox } from './outbox.js';

/**
 * URL-list banks: a bank (row in `banks`, signal type `url`) whose entries are URL patterns in
 * `url_list_entries`. Every change is announced on the compacted URL-list changes topic through the outbox, in
 * the caller's transaction, so fetchers apply it without restart and a crash never loses an announcement.
 */
export const UrlListEntryKinds = ['url', 'prefix', 'host', 'domain'] as const;
export type UrlListEntryKind = (typeof UrlListEntryKinds)[number];

/** A pattern to add; `canonicalKey` comes from `canonicalPatternKey` (@mod/urls), the rule the index uses. */
export interface UrlListEntryInput {
  kind: UrlListEntryKind;
  pattern: string;
  canonicalKey: string;
  /** The whole host serves abuse: feeds may list the name. Default false (URL-level only). */
  dedicatedToAbuse?: boolean;
  /** Listed in ISP blocklist feeds. Default true. */
  block?: boolean;
  category?: string | null;
  provenance?: string | null;
  note?: string | null;
}

/** A stored entry's pattern and how matching and feeds treat it: what every read of an entry returns. */
export interface UrlListPattern {
  kind: UrlListEntryKind;
  pattern: string;
  canonicalKey: string;
  dedicatedToAbuse: boolean;
  block: boolean;
  category: string | null;
}

/** The columns of `url_list_entries` behind a {@link UrlListPattern}. */
export interface UrlListPatternColumns {
  kind: UrlListEntryKind;
  pattern: string;
  canonical_key: string;
  dedicated_to_abuse: boolean;
  block: boolean;
  category: string | null;
}

export const toUrlListPattern = (r: UrlListPatternColumns): UrlListPattern => ({
  kind: r.kind,
  pattern: r.pattern,
  canonicalKey: r.canonical_key,
  dedicatedToAbuse: r.dedicated_to_abuse,
  block: r.block,
  category: r.category,
});

/** A URL-list bank's name and the settings matching reads (`banks` columns). */
interface UrlBankSettingsRow {
  id: string;
  name: string;
  enabled: boolean;
  negative: boolean;
  action_policy: 'automatic' | 'review';
}

/** A live URL-list entry with what matching needs to know about its bank. */
export interface UrlListEntryRow extends UrlListPattern {
  id: string;
  bankId: string;
  bankName: string;
  bankEnabled: boolean;
  bankNegative: boolean;
  actionPolicy: 'automatic' | 'review';
}

interface EntryRow extends UrlListPatternColumns {
  id: string;
  bank_id: string;
  bank_name: string;
  bank_enabled: boolean;
  bank_negative: boolean;
  action_policy: 'automatic' | 'review';
}

const toEntry = (r: EntryRow): UrlListEntryRow => ({
  id: String(r.id),
  bankId: r.bank_id,
  bankName: r.bank_name,
  bankEnabled: r.bank_enabled,
  bankNegative: r.bank_negative,
  actionPolicy: r.action_policy,
  ...toUrlListPattern(r),
});

const ENTRY_SELECT = `select e.id, e.bank_id, b.name as bank_name, b.enabled as bank_enabled, b.negative as bank_negative,
  b.action_policy, e.kind, e.pattern, e.canonical_key, e.dedicated_to_abuse, e.block, e.category
  from url_list_entries e join banks b on b.id = e.bank_id`;

/** The message announcing a URL-list bank's settings (payload of `mod.url-list-changes.v1`). */
export async function announceUrlBank(db: Queryable, bankId: string, changesTopic: string): Promise<void> {
  const { rows } = await db.query<UrlBankSettingsRow>(
    `/* urls:bank-for-announce */ select id, name, enabled, negative, action_policy from banks where id = $1`,
    [bankId],
  );
  const b = rows[0];
  if (!b) return;
  await enqueueOutbox(db, changesTopic, `url-bank:${b.id}`, {
    type: 'url-bank-upserted',
    bankId: b.id,
    name: b.name,
    enabled: b.enabled,
    negative: b.negative,
    actionPolicy: b.action_policy,
  });
}

/**
 * Adds entries to a URL-list bank (idempotent: a live entry with the same kind and canonical key is left as is)
 * and announces each added one. Run inside a transaction. Returns the added entries and how many were present.
 */
export async function addUrlListEntries(
  db: Queryable,
  bankId: string,
  entries: readonly UrlListEntryInput[],
  changesTopic: string,
): Promise<{ added: UrlListEntryRow[]; unchanged: number }> {
  const added: UrlListEntryRow[] = [];
  for (const e of entries) {
    const { rows } = await db.query<{ id: string }>(
      `/* urls:add-entry */ insert into url_list_entries (bank_id, kind, pattern, canonical_key, dedicated_to_abuse,
         block, category, provenance, note) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (bank_id, kind, text_key(canonical_key)) where removed_at is null do nothing returning id`,
      [
        bankId,
        e.kind,
        e.pattern,
        e.canonicalKey,
        e.dedicatedToAbuse ?? false,
        e.block ?? true,
        e.category ?? null,
        e.provenance ?? null,
        e.note ?? null,
      ],
    );
    const id = rows[0]?.id;
    if (id === undefined) continue;
    const row = await getUrlListEntry(db, String(id));
    if (row === null) continue;
    added.push(row);
    await enqueueOutbox(db, changesTopic, `url-entry:${row.id}`, {
      type: 'url-entry-added',
      entry: {
        entryId: row.id,
        bankId: row.bankId,
        kind: row.kind,
        pattern: row.pattern,
        dedicatedToAbuse: row.dedicatedToAbuse,
        category: row.category,
      },
    });
  }
  return { added, unchanged: entries.length - added.length };
}

/** Soft-removes an entry and announces it. Returns false when it was not live. Run inside a transaction. */
export async function removeUrlListEntry(
  db: Queryable,
  entryId: string,
  changesTopic: string,
): Promise<boolean> {
  const { rows } = await db.query<{ bank_id: string }>(
    `/* urls:remove-entry */ update url_list_entries set removed_at = now() where id = $1 and removed_at is null
     returning bank_id`,
    [entryId],
  );
  const bankId = rows[0]?.bank_id;
  if (bankId === undefined) return false;
  await enqueueOutbox(db, changesTopic, `url-entry:${entryId}`, {
    type: 'url-entry-removed',
    entryId,
    bankId,
  });
  return true;
}

export async function getUrlListEntry(db: Queryable, id: string): Promise<UrlListEntryRow | null> {
  return queryOne(db, `/* urls:get-entry */ ${ENTRY_SELECT} where e.id = $1`, [id], toEntry);
}

/** One page of live entries (every bank, enabled or not) in id order, for loading an index. */
export async function listUrlListEntriesPage(
  db: Queryable,
  afterId: string,
  limit: number,
): Promise<UrlListEntryRow[]> {
  const { rows } = await db.query<EntryRow>(
    `/* fetcher:load-url-entries */ ${ENTRY_SELECT} where e.removed_at is null and e.id > $1 order by e.id limit $2`,
    [afterId, limit],
  );
  return rows.map(toEntry);
}

/** Settings of every bank that holds URL-list entries (or is declared with signal type `url`). */
export async function listUrlBanks(
  db: Queryable,
): Promise<
  { id: string; name: string; enabled: boolean; negative: boolean; actionPolicy: 'automatic' | 'review' }[]
> {
  const { rows } = await db.query<UrlBankSettingsRow>(
    `/* fetcher:url-banks */ select id, name, enabled, negative, action_policy from banks b
     where 'url' = any(b.signal_types) or exists (select 1 from url_list_entries e where e.bank_id = b.id)`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    negative: r.negative,
    actionPolicy: r.action_policy,
  }));
}
