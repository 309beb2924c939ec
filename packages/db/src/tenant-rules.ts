import { SAFE_TEXT_PATTERN } from '@mod/contracts/text-rules';

/**
 * What a tenant or credential field may hold, in one place so the admin API and modctl accept exactly the same
 * values: the API builds its TypeBox schemas from these rules (so OpenAPI shows them), modctl checks arguments
 * with `satisfiesRule`. Pure: no I/O. Which roles suit which tenant kind is `roleAllowedForTenant`.
 */

/** A string rule in JSON-schema terms: lengths in code points (as JSON schema counts them), a `u` pattern. */
export interface StringRule {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern: string;
}

export const TenantFieldRules = {
  /** Tenant ids are lowercase slugs: they appear in URLs, feeds and audit records. */
  tenantId: { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
  tenantName: { minLength: 1, maxLength: 200, pattern: SAFE_TEXT_PATTERN },
  /** An API key's or client certificate's label. */
  credentialLabel: { minLength: 1, maxLength: 100, pattern: SAFE_TEXT_PATTERN },
} as const satisfies Record<string, StringRule>;

/** Whether `value` satisfies `rule`, with the JSON-schema validator's semantics (code points, `u` regex). */
export function satisfiesRule(rule: StringRule, value: string): boolean {
  const length = [...value].length;
  if (rule.minLength !== undefined && length < rule.minLength) return false;
  if (rule.maxLength !== undefined && length > rule.maxLength) return false;
  return new RegExp(rule.pattern, 'u').test(value);
}

/**
 * Whether a credential expiring at `expiresAt` is still valid after `now`. One that is not could never
 * authenticate (a credential whose expiry has come is refused), so issuing it is a mistake, refused.
 */
export function expiresInFuture(expiresAt: Date, now: Date): boolean {
  return expiresAt.getTime() > now.getTime();
}
