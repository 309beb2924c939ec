import { orderScopeWhere } from './order-scope.js';
import { sqlParam } from './scope-params.js';
import { submissionScopeWhere } from './submissions.js';

/**
 * Which cases a caller reaches: every case (the programme operator's reviewers, admins, curators); an authority's
 * queue (`authorityTenantId`: confirmations, and escalations addressed to it or to any authority); or the cases of
 * a reviewer bound to its tenant (`reviewerTenantId`: a reviewer of a tenant that is not the operator's), which are
 * the cases about its own tenant's content (a platform's submissions, an ISP's traffic) and, for an authority's
 * reviewer (`ofAuthority`), what its authority's queue shows and the review cases tied to its authority: about a
 * submission it may read (`submissionScopeWhere`: its own, or behind an order it may see), listing an order it
 * may see (`orderScopeWhere`), or about a citizen's report standing referred to it. Any other case answers 404.
 */
export type CaseScope =
  | { all: true }
  | { all: false; authorityTenantId: string }
  | { all: false; reviewerTenantId: string; ofAuthority: boolean };

/** The two query parameters `caseScopeWhere` reads: the authority tenant and the bound reviewer's tenant. */
export function caseScopeArgs(scope: CaseScope): [string | null, string | null] {
  if (scope.all) return [null, null];
  if ('authorityTenantId' in scope) return [scope.authorityTenantId, null];
  return [scope.ofAuthority ? scope.reviewerTenantId : null, scope.reviewerTenantId];
}

/**
 * SQL for `CaseScope` over the cases alias `c` (`$a`: the authority tenant, `$r`: the bound reviewer's tenant, a
 * null parameter number reading as null; both null: every case). An authority sees the confirmations and the
 * escalations addressed to it or to any authority while they are open; once one is decided, only the authority
 * whose person decided it (the orders it issued are that authority's alone, as are their evidence and media). A
 * closed confirmation case (closed by its orders' commands) is the authorities' that see one of its orders, as
 * the audit records about it are (`auditScopeWhere` reads a case's records by this rule, `$a` alone). A bound
 * reviewer sees the cases about its tenant's content, and with `$a` (its authority) what that authority sees and
 * the review cases tied to it (see `CaseScope`).
 */
export const caseScopeWhere = (a: number, r: number | null = null) => {
  const reviewer = sqlParam(r);
  return `(($${a}::text is null and ${reviewer}::text is null)
    or ($${a}::text is not null and c.kind in ('confirm', 'escalation')
     and (c.assigned_tenant_id is null or c.assigned_tenant_id = $${a})
     and (c.decided_by is null
       or exists (select 1 from people d where d.id = c.decided_by and d.tenant_id = $${a}))
     and (c.kind <> 'confirm' or c.status = 'open'
       or exists (select 1 from orders o where o.id = any (c.order_ids) and ${orderScopeWhere(null, a)})))
    or (${reviewer}::text is not null and (c.tenant_id = ${reviewer}
      or ($${a}::text is not null and c.kind = 'review' and (
        exists (select 1 from submissions s where s.id = c.submission_id and ${submissionScopeWhere(null, a)})
        or exists (select 1 from orders o where o.id = any (c.order_ids) and ${orderScopeWhere(null, a)})
        or exists (select 1 from report_referrals f join report_urls u on u.report_id = f.report_id
          join report_subjects rs on rs.id = u.subject_id
          where f.authority_tenant_id = $${a} and f.withdrawn_at is null
            and (rs.case_id = c.id or rs.submission_id = c.submission_id)))))))`;
};
