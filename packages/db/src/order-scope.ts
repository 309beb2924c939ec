import { sqlParam, tenantScopeArgs, type TenantScope } from './scope-params.js';

/**
 * Who may see (and act on) which orders. THE order visibility rule; every order query applies it through
 * `orderScopeWhere`:
 * - `{ all: true }`: every order (reviewers and admins; internal services);
 * - `{ all: false, targetTenantId }`: the orders addressed to that tenant (an ISP, a platform), never a request
 *   folded into one of them (the target received one order; the requests behind it are the authorities' own);
 * - `{ all: false, authorityTenantId }`: an authority's orders, which are
 *   1. the orders its tenant issued by hand (`issuerTenantId`),
 *   2. the orders its tenant confirmed (`confirmedByTenantId`), and
 *   3. automatic (policy-issued) orders that no authority has confirmed yet, whatever their status: these
 *      belong to no authority, and any authority may review and confirm them (the confirmation case of an
 *      automatic decision lists orders the target may already have complied with). Once an authority confirms
 *      one, only that authority (and oversight) sees it.
 *   Another authority's hand-issued or confirmed order is outside the scope: reads and commands answer as if
 *   it did not exist. That holds across folding: an authority whose request folded into another authority's
 *   order sees its own request (folded, `issueOrderRequest`), never the order it folded into, and the issuer
 *   of that order never sees the folded request.
 */
export type OrderScope = TenantScope<'targetTenantId'>;

/** The two query parameters `orderScopeWhere` reads: the target tenant and the authority tenant (null: unused). */
export function orderScopeArgs(scope: OrderScope): [string | null, string | null] {
  return tenantScopeArgs(scope, 'targetTenantId');
}

/**
 * The SQL condition of `OrderScope` over the orders alias `o`, reading the target tenant from parameter
 * `$t` and the authority tenant from `$a` (both null: every order; a null parameter number: that part unused).
 */
export function orderScopeWhere(t: number | null, a: number | null): string {
  const target = sqlParam(t);
  const authority = sqlParam(a);
  return `(${target}::text is null or (o.target_tenant_id = ${target} and o.folded_into is null))
    and (${authority}::text is null or o.issuer_tenant_id = ${authority} or o.confirmed_by_tenant_id = ${authority}
      or (o.issuer ->> 'kind' = 'policy' and o.confirmed_at is null))`;
}
