/*
 * What the tenant read scopes (`OrderScope`, `SubmissionScope`, `EvidenceScope`) share: each is everything, one
 * tenant's own rows, or an authority's, and reaches its SQL condition as two query parameters.
 */

/** A read scope by tenant: everything, the rows of the tenant that `K` names, or an authority's. */
export type TenantScope<K extends string> =
  | { all: true }
  | ({ all: false } & { [key in K]: string })
  | { all: false; authorityTenantId: string };

/** The two query parameters of a `TenantScope` (`own`: its tenant's key): [own tenant, authority tenant], null: unused. */
export function tenantScopeArgs<K extends string>(
  scope: TenantScope<K>,
  own: K,
): [string | null, string | null] {
  if (scope.all) return [null, null];
  return 'authorityTenantId' in scope ? [null, scope.authorityTenantId] : [scope[own], null];
}

/** Parameter `$n` in a SQL condition; a null parameter number reads as SQL null (that part of the scope unused). */
export const sqlParam = (n: number | null): string => (n === null ? 'null' : `$${n}`);
