import { deterministicUuid } from '@mod/contracts';
import { sniffImageFormat } from '@mod/hashing';
import { VaultError, VaultErrorCode } from './errors.js';

/** Why media was put in the vault: what made it need a person. */
export const EvidenceReasons = ['classifier', 'review-bank', 'report'] as const;
export type EvidenceReason = (typeof EvidenceReasons)[number];

/** An authority's legal hold: while set, retention never destroys the item. */
export interface LegalHold {
  /** Who set it (the audit actor id: a person or a key). */
  by: string;
  /** The authority tenant the hold is kept for; only it (or an admin) releases it. */
  authorityTenantId: string;
  reason: string;
  at: string;
}

/** An item's metadata: what the vault says about it without opening it (never the bytes, never the keys). */
export interface EvidenceItem {
  id: string;
  tenantId: string;
  submissionId: string;
  /** SHA-256 of the media, lowercase hex. */
  sha256: string;
  /** From the media's magic bytes (`image/jpeg`, ...; `application/octet-stream` when not an image). */
  mediaType: string;
  sizeBytes: number;
  reason: EvidenceReason;
  /** The master key that wrapped its data key (safe to show: an id, not a key). */
  masterKeyId: string;
  createdAt: string;
  /** The case it is evidence for (null: no case yet, retention counts from `createdAt`). */
  caseId: string | null;
  linkedAt: string | null;
  /** When its case closed: retention counts from here. */
  caseClosedAt: string | null;
  legalHold: LegalHold | null;
  /** When retention destroyed its bytes and data key (null: still sealed). */
  destroyedAt: string | null;
}

/** Where an item stands, for metrics and filters. */
export const EvidenceStates = ['unlinked', 'in-case', 'case-closed', 'legal-hold', 'destroyed'] as const;
export type EvidenceState = (typeof EvidenceStates)[number];

export function evidenceState(
  item: Pick<EvidenceItem, 'destroyedAt' | 'legalHold' | 'caseId' | 'caseClosedAt'>,
): EvidenceState {
  if (item.destroyedAt !== null) return 'destroyed';
  if (item.legalHold !== null) return 'legal-hold';
  if (item.caseId === null) return 'unlinked';
  return item.caseClosedAt === null ? 'in-case' : 'case-closed';
}

/**
 * Which items a caller may read, the same shape as `@mod/db`'s `SubmissionScope`: every item; those of one
 * submitting tenant; or an authority's (its own tenant's items, those of submissions behind orders it may see,
 * and those it holds under legal hold); or a reviewer bound to its tenant's (`reviewerTenantId`, an authority's
 * with `ofAuthority`): the items of the cases it may read, as `@mod/db`'s `CaseScope` of the same shape says.
 */
export type EvidenceScope =
  | { all: true }
  | { all: false; tenantId: string }
  | { all: false; authorityTenantId: string }
  | { all: false; reviewerTenantId: string; ofAuthority: boolean };

/** Who does something to an item, as its audit record names them (a service, a key, a person). */
export interface VaultActor {
  actor: { kind: 'user' | 'person' | 'service' | 'policy'; id: string };
  role: string | null;
  tenantId: string | null;
}

/** A pipeline service acting on its own account (no role, no tenant): the worker that keeps, the sweep that destroys. */
export function serviceActor(service: string): VaultActor {
  return { actor: { kind: 'service', id: service }, role: null, tenantId: null };
}

/** Media offered for keeping. */
export interface EvidenceToKeep {
  tenantId: string;
  submissionId: string;
  bytes: Uint8Array;
  /** The digest the caller already computed: the bytes must match it. */
  sha256?: string;
  reason: EvidenceReason;
  /** The service that keeps it (audited). */
  by: VaultActor;
  at: Date;
}

/** Media a worker has in hand and hands to the vault: whose it is and its bytes (its digest when already known). */
export type EvidenceMedia = Pick<EvidenceToKeep, 'tenantId' | 'submissionId' | 'bytes'> & { sha256: string };

/** The one id an item of (tenant, submission) has: a redelivered message finds the item its first delivery kept. */
export function evidenceItemId(tenantId: string, submissionId: string): string {
  return deterministicUuid(`evidence:${tenantId}:${submissionId}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Throws `MOD_ERR_VAULT_INVALID_ITEM` unless `input` can be kept: ids well-formed, 1..maxBytes bytes. */
export function checkEvidenceToKeep(input: EvidenceToKeep, maxBytes: number): void {
  const problem = !UUID.test(input.submissionId)
    ? 'submission id is not a uuid'
    : !TENANT.test(input.tenantId)
      ? 'tenant id is malformed'
      : input.sha256 !== undefined && !SHA256.test(input.sha256)
        ? 'sha256 is not 64 lowercase hex digits'
        : input.bytes.byteLength === 0
          ? 'no bytes'
          : input.bytes.byteLength > maxBytes
            ? `${input.bytes.byteLength} bytes; at most ${maxBytes}`
            : !(EvidenceReasons as readonly string[]).includes(input.reason)
              ? `unknown reason ${String(input.reason)}`
              : null;
  if (problem !== null)
    throw new VaultError(
      VaultErrorCode.INVALID_ITEM,
      `evidence for submission ${UUID.test(input.submissionId) ? input.submissionId : '?'}: ${problem}`,
    );
}

/** The media type from magic bytes (never from what a sender declared). */
export function mediaTypeOf(bytes: Uint8Array): string {
  const format = sniffImageFormat(bytes);
  return format === null ? 'application/octet-stream' : `image/${format}`;
}
