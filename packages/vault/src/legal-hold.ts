import type { VaultActor } from './evidence.js';

/** Why a legal hold request does not apply (the API answers each with its own code). */
export const HoldRefusals = ['not-found', 'destroyed', 'held-by-another-authority', 'not-held'] as const;
export type HoldRefusal = (typeof HoldRefusals)[number];

/** A request to set or release a legal hold. */
export interface HoldRequest {
  by: VaultActor;
  /** The authority tenant the hold is kept for: the caller's own tenant. */
  authorityTenantId: string;
  /** Admins may release any authority's hold; an authority only its own tenant's. */
  mayOverride: boolean;
  reason: string;
  at: Date;
}

/**
 * What a legal hold is set on: an evidence item, or a citizen's report (`@mod/db`'s report holds apply the same
 * rules). `destroyedAt`: when nothing is left to keep (a report is never destroyed whole: absent).
 */
export interface Holdable {
  destroyedAt?: string | null;
  legalHold: { authorityTenantId: string } | null;
}

/**
 * Whether a hold may be set on `item`: not on destroyed evidence (nothing is left to keep), not over another
 * authority's hold (it would take the release out of that authority's hands). Setting it again for the same
 * authority renews its reason and time.
 */
export function setHoldRefusal(item: Holdable | null, request: HoldRequest): HoldRefusal | null {
  if (item === null) return 'not-found';
  if (item.destroyedAt !== undefined && item.destroyedAt !== null) return 'destroyed';
  if (item.legalHold !== null && item.legalHold.authorityTenantId !== request.authorityTenantId)
    return 'held-by-another-authority';
  return null;
}

/** Whether the hold on `item` may be released by this request: only the authority that holds it, or an admin. */
export function releaseHoldRefusal(item: Holdable | null, request: HoldRequest): HoldRefusal | null {
  if (item === null) return 'not-found';
  if (item.legalHold === null) return 'not-held';
  if (!request.mayOverride && item.legalHold.authorityTenantId !== request.authorityTenantId)
    return 'held-by-another-authority';
  return null;
}
