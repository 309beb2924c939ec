import { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
import { orderScopeWhere } from './order-scope.js';
import type { Queryable } from './pool.js';
import { caseScopeWhere } from './case-scope.js';
import { submissionScopeWhere } from './submissions.js';

/**
 * Which audit records a reader may see. THE audit visibility rule; every read of record contents (a record's
 * inclusion proof, its evidence documents, exports) applies it through `auditScopeWhere`:
 * - `{ all: true }`: every record (admins);
 * - `{ all: false, authorityTenantId }`: the records about what the authority may see: an order in its
 *   `OrderScope` (never another authority's order, nor another authority's request folded into one of its
 *   orders), a submission in its `SubmissionScope`, a case it may read (`caseScopeWhere`: the one it works,
 *   never another authority's decided or addressed case). Records about anything else
 *   (banks, URL lists, tenants, keys, authentication) are oversight's.
 * Tree heads and consistency proofs carry no record contents and are every reader's.
 */
export type AuditScope = { all: true } | { all: false; authorityTenantId: string };

/** The query parameter `auditScopeWhere` reads: the authority tenant (null: every record). */
export function auditScopeArgs(scope: AuditScope): [string | null] {
  return [scope.all ? null : scope.authorityTenantId];
}

/** How a bundle's scope names the reader it was exported for (part of what the scope signature covers). */
export function auditAudience(scope: AuditScope): string {
  return scope.all ? 'all' : `authority:${scope.authorityTenantId}`;
}

const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/**
 * The SQL condition of `AuditScope` over the audit records alias `r`, reading the authority tenant from
 * parameter `$a` (null: every record). A record is about what its `subject` names.
 */
export function auditScopeWhere(a: number): string {
  const id = (table: string) => `${table}.id = (case when x.id ~ ${UUID} then x.id::uuid end)`;
  return `($${a}::text is null or exists (
    select 1 from (select (r.record::jsonb) #>> '{subject,type}' as type, (r.record::jsonb) #>> '{subject,id}' as id) x
    where (x.type = 'order' and exists (select 1 from orders o where ${id('o')} and ${orderScopeWhere(null, a)}))
      or (x.type = 'submission'
        and exists (select 1 from submissions s where ${id('s')} and ${submissionScopeWhere(null, a)}))
      or (x.type = 'case' and exists (select 1 from cases c where ${id('c')} and ${caseScopeWhere(a)}))))`;
}

/** Whether record `seq` exists and `scope` may see it. */
export async function auditRecordVisible(db: Queryable, seq: number, scope: AuditScope): Promise<boolean> {
  const { rows } = await db.query<{ visible: boolean }>(
    `/* audit:record-visible */ select exists (select 1 from audit_records r where r.seq = $1
       and ${auditScopeWhere(2)}) as visible`,
    [seq, ...auditScopeArgs(scope)],
  );
  return rows[0]?.visible === true;
}

/**
 * Throws MOD_ERR_AUDIT_LOG_TOO_MANY_RECORDS when case-export `refs` are mentioned by more than `cap` records of the
 * tree of `size`: counted on the refs index alone, before any record goes through the reader's scope test. A ref
 * that common (a tenant id, a status) names no case, and an authority naming it would make the export test every
 * record mentioning it, for an answer of a few or none: one request holding a connection for the statement timeout.
 */
export async function requireFewRefMatches(
  db: Queryable,
  refs: readonly string[],
  size: number,
  cap: number,
): Promise<void> {
  const { rows } = await db.query<{ n: number }>(
    `/* audit:case-ref-count */ select count(*)::int as n from (select 1 from audit_refs
       where ref = any($1::text[]) and seq < $2 limit $3) x`,
    [refs, size, cap + 1],
  );
  if ((rows[0]?.n ?? 0) > cap)
    throw new AuditLogError(
      AuditLogErrorCode.TOO_MANY_RECORDS,
      `more than ${cap} records mention these refs: name the case by its own ids (order, submission, case)`,
    );
}
