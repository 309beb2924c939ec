import type { OrderScope, Principal, Role } from '@mod/db';

/**
 * Authorisation policy in one place. Every route declares, in its `config`:
 * - `roles`: who may call it (absent: public, e.g. health, metrics, the OpenAPI document);
 * - `tenant`: how the tenant scope of its data is derived:
 *   - `'none'`: the data belongs to no tenant (hash banks, tenant administration);
 *   - `'own'`: every object belongs to a tenant; a caller sees its own tenant's objects only, and another
 *     tenant's object answers 404 (not 403: existence is not leaked), unless its role is in `crossTenant`
 *     (oversight roles such as admin and reviewer).
 * The auth hook (auth.ts) enforces `roles`; routes read the derived scope with `scopeOf` and pass it to every query.
 */
export const TenantRules = ['none', 'own'] as const;
export type TenantRule = (typeof TenantRules)[number];

/** What a route declares about access (its `config`). */
export interface RouteAccess {
  roles?: readonly Role[];
  tenant?: TenantRule;
  crossTenant?: readonly Role[];
}

/** The tenants whose objects a request may read or change. */
export type TenantScope = { all: true } | { all: false; tenantId: string };

/** Derives the request's tenant scope from the route's declaration and the caller. */
export function scopeFor(access: RouteAccess, p: Principal): TenantScope {
  if (access.tenant !== 'own') return { all: true };
  return access.crossTenant?.includes(p.role) === true ? { all: true } : { all: false, tenantId: p.tenantId };
}

/** Whether an object owned by `ownerTenantId` is inside `scope`. */
export function inScope(scope: TenantScope, ownerTenantId: string): boolean {
  return scope.all || scope.tenantId === ownerTenantId;
}

/**
 * Roles that see orders addressed to any tenant. An authority sees the orders it issued or confirmed; until
 * orders record their issuing and confirming authority, that is every order. ISPs and platforms see only orders
 * addressed to them (ISPs only receive blocking requests, platforms takedown orders).
 */
export const ORDER_OVERSIGHT_ROLES: readonly Role[] = ['authority', 'reviewer', 'admin'];

/** Order visibility for a caller (orders are owned by the tenant they are addressed to). */
export function orderScope(p: Principal): OrderScope {
  return ORDER_OVERSIGHT_ROLES.includes(p.role) ? { all: true } : { all: false, targetTenantId: p.tenantId };
}

/** Submissions are owned by the submitting tenant; oversight roles read them all. */
export const SUBMISSION_OVERSIGHT_ROLES: readonly Role[] = ['authority', 'reviewer', 'admin'];
