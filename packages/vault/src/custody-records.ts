import type { EvidenceItem, VaultActor } from './evidence.js';

/** How an item was looked at: a reviewer's blurred preview, a full reveal, or an integrity check (no bytes shown). */
export const EvidenceViews = ['preview', 'reveal', 'verify'] as const;
export type EvidenceView = (typeof EvidenceViews)[number];

/**
 * An audit record of the item's chain of custody, as data (the store appends it in the transaction that makes the
 * change): who kept, opened, held, released or destroyed it. Digests and ids only: never bytes, never keys.
 */
export interface CustodyRecord {
  actor: VaultActor['actor'];
  role: string | null;
  tenantId: string | null;
  action:
    | 'evidence.kept'
    | 'evidence.opened'
    | 'evidence.legal_hold_set'
    | 'evidence.legal_hold_released'
    | 'evidence.destroyed';
  subject: { type: 'evidence'; id: string };
  reason: string | null;
  evidence: Record<string, unknown>;
}

const about = (item: EvidenceItem) => ({
  sha256: item.sha256,
  submission: { id: item.submissionId, tenantId: item.tenantId },
});

/** A caller's action: the record names the caller's role and tenant. */
const byCaller = (by: VaultActor) => ({ actor: by.actor, role: by.role, tenantId: by.tenantId });

export function keptRecord(item: EvidenceItem, by: VaultActor): CustodyRecord {
  return {
    ...byCaller(by),
    tenantId: item.tenantId,
    action: 'evidence.kept',
    subject: { type: 'evidence', id: item.id },
    reason: `kept for review (${item.reason})`,
    evidence: {
      ...about(item),
      mediaType: item.mediaType,
      sizeBytes: item.sizeBytes,
      masterKeyId: item.masterKeyId,
    },
  };
}

export function openedRecord(item: EvidenceItem, by: VaultActor, view: EvidenceView): CustodyRecord {
  return {
    ...byCaller(by),
    action: 'evidence.opened',
    subject: { type: 'evidence', id: item.id },
    reason: view,
    evidence: { ...about(item), view, caseId: item.caseId },
  };
}

export function holdSetRecord(item: EvidenceItem, by: VaultActor, reason: string): CustodyRecord {
  return {
    ...byCaller(by),
    action: 'evidence.legal_hold_set',
    subject: { type: 'evidence', id: item.id },
    reason,
    evidence: { ...about(item), authorityTenantId: item.legalHold?.authorityTenantId ?? null },
  };
}

export function holdReleasedRecord(
  item: EvidenceItem,
  by: VaultActor,
  reason: string,
  releasedFor: string,
): CustodyRecord {
  return {
    ...byCaller(by),
    action: 'evidence.legal_hold_released',
    subject: { type: 'evidence', id: item.id },
    reason,
    evidence: { ...about(item), authorityTenantId: releasedFor },
  };
}

/** Retention destroyed the item's bytes and data key: the record says under which rule. */
export function destroyedRecord(item: EvidenceItem, by: VaultActor, rule: string): CustodyRecord {
  return {
    ...byCaller(by),
    tenantId: item.tenantId,
    action: 'evidence.destroyed',
    subject: { type: 'evidence', id: item.id },
    reason: rule,
    evidence: { ...about(item), caseId: item.caseId, caseClosedAt: item.caseClosedAt },
  };
}
