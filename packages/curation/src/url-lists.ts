import { withTransaction, type Pool } from '@mod/db';
import { appendAudit, type AuditEntry } from '@mod/db/audit';
import { insertBank } from '@mod/db/banks';
import { announceUrlBank, getUrlListBank, type UrlBank } from '@mod/db/url-lists';
import { CurationError, CurationErrorCode } from './errors.js';

/**
 * Curators manage URL-list banks: create and change settings (here), add and remove entries
 * (`url-list-patterns.ts`) and import lists (`url-list-import.ts`). Every pattern is
 * normalised with the project's URL normaliser (`@mod/urls`: the rule fetchers and feeds match with); a bad
 * entry gets its own error with a stable code and never stops the others (unless the caller asks for strict).
 * Every change is announced on the URL-list changes topic (through the outbox, in the same transaction) and
 * audited in that transaction.
 */

/** Who makes a change, for the audit log. */
export interface Curator {
  actor: { kind: 'user' | 'person' | 'service'; id: string };
  role: string | null;
  tenantId: string | null;
  /** Evidence every record of this curator's changes carries (e.g. the key a machine acted with). */
  evidence?: Record<string, unknown>;
}

/** Settings of a new URL-list bank. */
export interface NewUrlList {
  name: string;
  source: string;
  licence?: string | null;
  version?: string | null;
  actionPolicy: 'automatic' | 'review';
  negative?: boolean;
}

/** An audit entry made by `by`. */
export const auditOf = (by: Curator, e: Omit<AuditEntry, 'actor' | 'role' | 'tenantId'>): AuditEntry => ({
  actor: by.actor,
  role: by.role,
  tenantId: by.tenantId,
  ...e,
  ...(by.evidence === undefined ? {} : { evidence: { ...by.evidence, ...e.evidence } }),
});

/** The URL-list bank with this id or name, or a typed error. */
export async function findUrlList(pool: Pool, by: { id: string } | { name: string }): Promise<UrlBank> {
  const bank = await getUrlListBank(pool, by);
  if (bank === null)
    throw new CurationError(
      CurationErrorCode.UnknownUrlList,
      'id' in by ? `no URL list with id ${by.id}` : `no URL list named ${JSON.stringify(by.name)}`,
    );
  return bank;
}

/**
 * Creates a URL-list bank (a bank of signal type `url`) and tells every fetcher its settings. A bank of that
 * name that is not a URL list is refused; an existing URL list is returned as it is (`created: false`).
 */
export async function createUrlList(
  pool: Pool,
  list: NewUrlList,
  changesTopic: string,
  by: Curator,
): Promise<{ bank: UrlBank; created: boolean }> {
  return withTransaction(pool, async (c) => {
    const { bank, created } = await insertBank(c, {
      name: list.name,
      source: list.source,
      licence: list.licence ?? null,
      version: list.version ?? null,
      // The stored signal types are text; `url` marks a URL-list bank (hash signals are typed apart).
      signalTypes: ['url'] as never,
      categoryScheme: null,
      negative: list.negative ?? false,
      actionPolicy: list.actionPolicy,
    });
    const urlBank = await getUrlListBank(c, { id: bank.id });
    if (urlBank === null)
      throw new CurationError(
        CurationErrorCode.NotUrlList,
        `bank ${JSON.stringify(list.name)} is a hash bank`,
      );
    if (!created) return { bank: urlBank, created: false };
    await announceUrlBank(c, bank.id, changesTopic);
    await appendAudit(
      c,
      auditOf(by, {
        action: 'url_list.created',
        subject: { type: 'bank', id: bank.id },
        evidence: { name: list.name, actionPolicy: list.actionPolicy, negative: list.negative ?? false },
      }),
    );
    return { bank: urlBank, created: true };
  });
}

export interface UrlListSettings {
  enabled?: boolean;
  negative?: boolean;
  actionPolicy?: 'automatic' | 'review';
}

/** Changes a URL-list bank's settings, tells every fetcher (feeds read them directly), audits. */
export async function updateUrlListSettings(
  pool: Pool,
  bankId: string,
  s: UrlListSettings,
  changesTopic: string,
  by: Curator,
): Promise<UrlBank | null> {
  return withTransaction(pool, async (c) => {
    const { rowCount } = await c.query(
      `/* curator:update-url-bank */ update banks set enabled = coalesce($2, enabled),
         negative = coalesce($3, negative), action_policy = coalesce($4, action_policy),
         updated_at = clock_timestamp() where id = $1 and 'url' = any(signal_types)`,
      [bankId, s.enabled ?? null, s.negative ?? null, s.actionPolicy ?? null],
    );
    if (rowCount !== 1) return null;
    await announceUrlBank(c, bankId, changesTopic);
    await appendAudit(
      c,
      auditOf(by, {
        action: 'url_list.settings_changed',
        subject: { type: 'bank', id: bankId },
        evidence: { ...s },
      }),
    );
    return getUrlListBank(c, { id: bankId });
  });
}
