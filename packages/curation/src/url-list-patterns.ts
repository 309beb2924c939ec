import { createHash } from 'node:crypto';
import { withTransaction, type Pool, type PoolClient } from '@mod/db';
import { appendAuditBatch, type AuditEntry } from '@mod/db/audit';
import {
  addUrlListEntries,
  findLiveUrlListEntries,
  getUrlListBank,
  lockUrlListBank,
  findEscapedKeyUrlListEntries,
  removeUrlListEntries,
  type UrlListEntryKind,
  type UrlListEntryRecord,
} from '@mod/db/url-lists';
import { canonicalPatternKey } from '@mod/urls';
import { CurationError, CurationErrorCode } from './errors.js';
import { validateUrlListEntry, type EntryError, type ValidUrlListEntry } from './url-list-entry.js';
import { auditOf, findUrlList, type Curator } from './url-lists.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The audit record of one entry added or removed. The address itself stays out of the log (it points at abuse
 * material): its digest identifies it.
 */
function entryAudit(
  by: Curator,
  action: 'url_list.entry_added' | 'url_list.entry_removed',
  bankId: string,
  e: UrlListEntryRecord,
  reason: string | null,
  evidence: Record<string, unknown> = {},
): AuditEntry {
  return auditOf(by, {
    action,
    subject: { type: 'url-list-entry', id: e.id },
    reason,
    evidence: { bankId, kind: e.kind, keySha256: sha256(e.canonicalKey), ...evidence },
  });
}

export interface AddReport {
  /** The entries added (with their ids), in request order. */
  added: UrlListEntryRecord[];
  /** Valid entries already live in the list (same kind and canonical key), left as they are. */
  unchanged: UrlListEntryRecord[];
  /** Refused entries, by position in the request. */
  errors: EntryError[];
}

/**
 * Adds entries to a URL-list bank: each is validated and normalised; valid ones are added in one transaction
 * (a live entry with the same kind and canonical key is left as it is), announced to fetchers, and each
 * added entry is audited. With `strict`, any refused entry means nothing is added.
 */
export async function addUrlListPatterns(
  pool: Pool,
  a: {
    bankId: string;
    entries: readonly unknown[];
    changesTopic: string;
    provenance: string;
    by: Curator;
    strict?: boolean;
  },
): Promise<AddReport> {
  await findUrlList(pool, { id: a.bankId });
  const errors: EntryError[] = [];
  const valid: { index: number; entry: ValidUrlListEntry }[] = [];
  a.entries.forEach((raw, index) => {
    const v = validateUrlListEntry(raw);
    if (v.ok) valid.push({ index, entry: v.entry });
    else errors.push({ index, code: v.code, message: v.message });
  });
  if (a.strict === true && errors.length > 0) return { added: [], unchanged: [], errors };
  return withTransaction(pool, async (c) => {
    const bank = await getUrlListBank(c, { id: a.bankId });
    if (bank === null)
      throw new CurationError(CurationErrorCode.UnknownUrlList, `no URL list with id ${a.bankId}`);
    await lockUrlListBank(c, a.bankId);
    const older = await olderKeyed(c, a.bankId);
    // Two entries of one request with the same key: the first counts.
    const seen = new Set<string>();
    const fresh = valid.filter(({ entry }) => {
      const key = `${entry.kind} ${entry.canonicalKey}`;
      if (seen.has(key) || older.has(key)) return false;
      seen.add(key);
      return true;
    });
    const { added } = await addUrlListEntries(
      c,
      a.bankId,
      fresh.map(({ entry }) => ({ ...entry, provenance: a.provenance })),
      a.changesTopic,
    );
    const addedKeys = new Set(added.map((e) => `${e.kind} ${e.canonicalKey}`));
    const live = await findLiveUrlListEntries(c, a.bankId, {
      keys: valid.map(({ entry }) => ({ kind: entry.kind, canonicalKey: entry.canonicalKey })),
    });
    const byKey = new Map(live.map((e) => [`${e.kind} ${e.canonicalKey}`, e]));
    for (const { entry } of valid) {
      const key = `${entry.kind} ${entry.canonicalKey}`;
      const stored = older.get(key);
      if (stored !== undefined && !byKey.has(key)) byKey.set(key, stored);
    }
    const addedRecords = added.map((e) => byKey.get(`${e.kind} ${e.canonicalKey}`)!);
    const unchanged = [...byKey.entries()].filter(([k]) => !addedKeys.has(k)).map(([, e]) => e);
    await appendAuditBatch(
      c,
      addedRecords.map((e) =>
        entryAudit(a.by, 'url_list.entry_added', a.bankId, e, e.note, {
          dedicatedToAbuse: e.dedicatedToAbuse,
          block: e.block,
          category: e.category,
        }),
      ),
    );
    return { added: addedRecords, unchanged, errors };
  });
}

/** What to remove: entry ids, or patterns (matched by kind and canonical key, as the index matches them). */
export type UrlListRemoval = { id: string } | { kind: UrlListEntryKind; pattern: string };

export interface RemoveReport {
  removed: UrlListEntryRecord[];
  /** Removals that named no live entry of the list (by position in the request). */
  notFound: number[];
  errors: EntryError[];
}

/**
 * The bank's entries whose stored key an older rule gave (escapes such as `%7C` kept; stored rows never change),
 * by `kind key` under the rule the index matches on now, so that adding or removing the same page finds them.
 */
async function olderKeyed(c: PoolClient, bankId: string): Promise<Map<string, UrlListEntryRecord>> {
  const older = new Map<string, UrlListEntryRecord>();
  for (const e of await findEscapedKeyUrlListEntries(c, bankId)) {
    let key: string;
    try {
      key = `${e.kind} ${canonicalPatternKey(e.kind, e.pattern)}`;
    } catch {
      continue;
    }
    if (key !== `${e.kind} ${e.canonicalKey}` && !older.has(key)) older.set(key, e);
  }
  return older;
}

/**
 * Soft-removes entries of a URL-list bank (history is kept: the rows stay, marked removed), announces each
 * removal, and audits each with the reason.
 */
export async function removeUrlListPatterns(
  pool: Pool,
  a: {
    bankId: string;
    removals: readonly UrlListRemoval[];
    reason: string;
    changesTopic: string;
    by: Curator;
  },
): Promise<RemoveReport> {
  const errors: EntryError[] = [];
  const wanted: { index: number; id?: string; key?: string }[] = [];
  a.removals.forEach((r, index) => {
    if ('id' in r) {
      if (/^[0-9]{1,18}$/.test(r.id)) wanted.push({ index, id: r.id });
      else
        errors.push({
          index,
          code: CurationErrorCode.UrlEntryInvalid,
          message: 'an entry id is a decimal number',
        });
      return;
    }
    const v = validateUrlListEntry({ kind: r.kind, pattern: r.pattern });
    if (v.ok) wanted.push({ index, key: `${v.entry.kind} ${v.entry.canonicalKey}` });
    else errors.push({ index, code: v.code, message: v.message });
  });
  return withTransaction(pool, async (c) => {
    const bank = await getUrlListBank(c, { id: a.bankId });
    if (bank === null)
      throw new CurationError(CurationErrorCode.UnknownUrlList, `no URL list with id ${a.bankId}`);
    await lockUrlListBank(c, a.bankId);
    const older = await olderKeyed(c, a.bankId);
    const live = await findLiveUrlListEntries(c, a.bankId, {
      ids: wanted.flatMap((w) => (w.id === undefined ? [] : [w.id])),
      keys: wanted.flatMap((w) => {
        if (w.key === undefined) return [];
        const space = w.key.indexOf(' ');
        return [{ kind: w.key.slice(0, space) as UrlListEntryKind, canonicalKey: w.key.slice(space + 1) }];
      }),
    });
    const byId = new Map(live.map((e) => [e.id, e]));
    const byKey = new Map([...older, ...live.map((e) => [`${e.kind} ${e.canonicalKey}`, e] as const)]);
    const notFound: number[] = [];
    const targets = new Map<string, UrlListEntryRecord>();
    for (const w of wanted) {
      const hit = w.id !== undefined ? byId.get(w.id) : byKey.get(w.key!);
      if (hit === undefined) notFound.push(w.index);
      else targets.set(hit.id, hit);
    }
    const removedAt = new Map(
      (await removeUrlListEntries(c, a.bankId, [...targets.keys()], a.changesTopic)).map((r) => [
        r.id,
        r.removedAt,
      ]),
    );
    const removed = [...targets.values()].flatMap((e) => {
      const at = removedAt.get(e.id);
      return at === undefined ? [] : [{ ...e, removedAt: at }];
    });
    await appendAuditBatch(
      c,
      removed.map((e) => entryAudit(a.by, 'url_list.entry_removed', a.bankId, e, a.reason)),
    );
    return { removed, notFound, errors };
  });
}
