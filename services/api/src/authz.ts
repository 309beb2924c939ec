import type { Principal, Role, TenantKind } from '@mod/db/access';
import type { OrderScope } from '@mod/db/orders';
import type { SubmissionScope } from '@mod/db/submissions';

/**
 * Authorisation policy in one place. Every route declares, in its `config`:
 * - `roles`: who may call it (absent: public, e.g. health, metrics, the OpenAPI document);
 * - `tenant`: how the tenant scope of its data is derived:
 *   - `'none'`: the data belongs to no tenant (hash banks, tenant administration);
 *   - `'own'`: every object belongs to a tenant; a caller sees its own tenant's objects only, and another
 *     tenant's object answers 404 (not 403: existence is not leaked), unless its role is in `crossTenant`
 *     (oversight roles such as admin and reviewer);
 *   - `'order'`: the objects are orders, which concern more than one tenant; a caller sees the orders its
 *     tenant is party to (`orderScopeFor`): as the target (ISP, platform), or as the issuing or confirming
 *     authority (plus automatic orders awaiting an authority's confirmation). Others answer 404 as with
 *     `'own'`; roles in `crossTenant` see every order.
 * The auth hook (auth.ts) enforces `roles`; routes read the derived scope with `scopeOf` (or `orderScopeOf`)
 * and pass it to every query.
 */
export const TenantRules = ['none', 'own', 'order'] as const;
export type TenantRule = (typeof TenantRules)[number];

/** What a route declares about access (its `config`). */
export interface RouteAccess {
  roles?: readonly Role[];
  tenant?: TenantRule;
  crossTenant?: readonly Role[];
  /**
   * Roles of `crossTenant` whose reach across tenants is their people's, not their machines': a key of such a role
   * sees its own tenant's objects only (the hotline's call-centre software reads the reports it filed, its
   * operators every report).
   */
  crossTenantPeopleOnly?: readonly Role[];
  /**
   * The route reads citizens' reports (their text, subjects, owners, referrals): of the reviewers, only the
   * oversight ones (`isOversightReviewer`) may use it; an authority tenant's reviewer is refused 403.
   */
  citizenReports?: boolean;
}

/**
 * Tenant kinds whose reviewers are oversight: the hotline's and the administrators'. An authority tenant may hold
 * reviewers too, to review cases, but they see what their authority sees: no citizen's report (those referred to
 * it are the authority's, under /v1/referred-reports), only the orders and submissions of their own authority, and
 * only the cases tied to it, their evidence and proposals (`caseScopeFor` in routes/cases-common.ts, `CaseScope` in
 * @mod/db).
 */
export const OVERSIGHT_REVIEWER_TENANT_KINDS: readonly TenantKind[] = ['hotline', 'admin'];

/**
 * Whether the caller is a reviewer of a tenant that is not oversight (in practice: of an authority; a platform's or
 * an ISP's, which RolesByTenantKind never issues, would see its own tenant's cases only).
 */
export const isTenantBoundReviewer = (p: Pick<Principal, 'role' | 'tenantKind'>): boolean =>
  p.role === 'reviewer' && !OVERSIGHT_REVIEWER_TENANT_KINDS.includes(p.tenantKind);

/** The tenants whose objects a request may read or change. */
export type TenantScope = { all: true } | { all: false; tenantId: string };

/** Derives the request's tenant scope from the route's declaration and the caller. */
export function scopeFor(access: RouteAccess, p: Principal): TenantScope {
  switch (access.tenant ?? 'none') {
    case 'none':
      return { all: true };
    case 'own':
      return access.crossTenant?.includes(p.role) === true &&
        !(p.personId === null && access.crossTenantPeopleOnly?.includes(p.role) === true)
        ? { all: true }
        : { all: false, tenantId: p.tenantId };
    case 'order':
      // Orders are not owned by one tenant: a tenant scope would show an authority nothing, or everything.
      throw new Error('routes with tenant rule "order" are scoped with orderScopeFor');
  }
}

/** Whether an object owned by `ownerTenantId` is inside `scope`. */
export function inScope(scope: TenantScope, ownerTenantId: string): boolean {
  return scope.all || scope.tenantId === ownerTenantId;
}

/** Roles that read orders: their targets, the authorities that issue and confirm them, oversight. */
export const ORDER_READERS: readonly Role[] = ['isp', 'platform', 'authority', 'reviewer', 'admin'];

/** Roles that see every order (the usual `crossTenant` of `'order'` routes). */
export const ORDER_OVERSIGHT_ROLES: readonly Role[] = ['reviewer', 'admin'];

/**
 * The orders a caller may see and act on, on a route with `tenant: 'order'` (the rule itself, and its SQL, are
 * `OrderScope` in @mod/db):
 * - a role in the route's `crossTenant`: every order, except a reviewer of an authority tenant, who sees its
 *   authority's (`isTenantBoundReviewer`);
 * - an authority: the orders its tenant issued by hand, the orders its tenant confirmed, and automatic (policy)
 *   orders no authority has confirmed yet, which any authority may review and confirm; never an order another
 *   authority issued or confirmed;
 * - any other role (ISPs, platforms): the orders addressed to its tenant (ISPs get blocking requests,
 *   platforms takedown orders).
 */
export function orderScopeFor(access: RouteAccess, p: Principal): OrderScope {
  if (access.tenant !== 'order') throw new Error('orderScopeFor is for routes with tenant rule "order"');
  if (isTenantBoundReviewer(p)) return { all: false, authorityTenantId: p.tenantId };
  if (access.crossTenant?.includes(p.role) === true) return { all: true };
  if (p.role === 'authority') return { all: false, authorityTenantId: p.tenantId };
  return { all: false, targetTenantId: p.tenantId };
}

/**
 * Submissions are owned by the submitting tenant; oversight roles read them all. (An authority reads the
 * submissions behind the orders it may see: see `submissionScopeFor`.)
 */
export const SUBMISSION_OVERSIGHT_ROLES: readonly Role[] = ['reviewer', 'admin'];

/**
 * The submissions a caller may read (the rule and its SQL are `SubmissionScope` in @mod/db): oversight all, an
 * authority its own tenant's and those behind an order it may see, anyone else its own tenant's. The
 * submission route and every other place that takes a submission id from a caller (an order's evidence, audit
 * records about submissions) use it, so naming a submission never reads more than this.
 */
export function submissionScopeFor(p: Principal): SubmissionScope {
  if (isTenantBoundReviewer(p)) return { all: false, authorityTenantId: p.tenantId };
  if (SUBMISSION_OVERSIGHT_ROLES.includes(p.role)) return { all: true };
  if (p.role === 'authority') return { all: false, authorityTenantId: p.tenantId };
  return { all: false, tenantId: p.tenantId };
}
