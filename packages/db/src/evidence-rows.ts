import type { EvidenceItem, EvidenceReason, EvidenceScope, SealedEvidence } from '@mod/vault';
import { queryOne, type Queryable } from './pool.js';
import { caseScopeArgs, caseScopeWhere } from './case-scope.js';
import { tenantScopeArgs, type TenantScope } from './scope-params.js';
import { submissionScopeWhere } from './submissions.js';

/** The metadata columns of `evidence_items` (alias `e`): never the ciphertext or the keys. */
export const EVIDENCE_COLUMNS = `e.id, e.tenant_id, e.submission_id, e.sha256, e.media_type, e.size_bytes, e.reason,
  e.master_key_id, e.created_at, e.case_id, e.linked_at, e.case_closed_at, e.hold_by, e.hold_authority_tenant_id,
  e.hold_reason, e.hold_at, e.destroyed_at`;

/** The sealed columns, read only to open an item. */
export const SEALED_COLUMNS = `e.seal_version, e.ciphertext, e.data_nonce, e.data_tag, e.wrapped_key, e.key_nonce,
  e.key_tag`;

export interface EvidenceRow {
  id: string;
  tenant_id: string;
  submission_id: string;
  sha256: string;
  media_type: string;
  size_bytes: number;
  reason: EvidenceReason;
  master_key_id: string;
  created_at: Date;
  case_id: string | null;
  linked_at: Date | null;
  case_closed_at: Date | null;
  hold_by: string | null;
  hold_authority_tenant_id: string | null;
  hold_reason: string | null;
  hold_at: Date | null;
  destroyed_at: Date | null;
}

export interface SealedRow extends EvidenceRow {
  seal_version: number;
  ciphertext: Buffer | null;
  data_nonce: Buffer | null;
  data_tag: Buffer | null;
  wrapped_key: Buffer | null;
  key_nonce: Buffer | null;
  key_tag: Buffer | null;
}

export function toEvidenceItem(r: EvidenceRow): EvidenceItem {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    submissionId: r.submission_id,
    sha256: r.sha256,
    mediaType: r.media_type,
    sizeBytes: r.size_bytes,
    reason: r.reason,
    masterKeyId: r.master_key_id,
    createdAt: r.created_at.toISOString(),
    caseId: r.case_id,
    linkedAt: r.linked_at?.toISOString() ?? null,
    caseClosedAt: r.case_closed_at?.toISOString() ?? null,
    legalHold:
      r.hold_at === null
        ? null
        : {
            by: r.hold_by ?? '',
            authorityTenantId: r.hold_authority_tenant_id ?? '',
            reason: r.hold_reason ?? '',
            at: r.hold_at.toISOString(),
          },
    destroyedAt: r.destroyed_at?.toISOString() ?? null,
  };
}

/** The sealed form of a row, or null once destroyed (the row keeps only its metadata). */
export function toSealedEvidence(r: SealedRow): SealedEvidence | null {
  if (
    r.ciphertext === null ||
    r.data_nonce === null ||
    r.data_tag === null ||
    r.wrapped_key === null ||
    r.key_nonce === null ||
    r.key_tag === null
  )
    return null;
  return {
    sealVersion: r.seal_version,
    masterKeyId: r.master_key_id,
    ciphertext: r.ciphertext,
    dataNonce: r.data_nonce,
    dataTag: r.data_tag,
    wrappedKey: r.wrapped_key,
    keyNonce: r.key_nonce,
    keyTag: r.key_tag,
  };
}

/**
 * The query parameters of `evidenceScopeWhere`: the owning tenant, the authority tenant, and for a bound reviewer
 * its case scope's two (`caseScopeArgs`).
 */
export function evidenceScopeArgs(
  scope: EvidenceScope,
): [string | null, string | null, string | null, string | null] {
  if (!scope.all && 'reviewerTenantId' in scope) return [null, null, ...caseScopeArgs(scope)];
  return [...tenantScopeArgs(scope as TenantScope<'tenantId'>, 'tenantId'), null, null];
}

/** An authority's items (tenant in `$a`): its own tenant's, those it holds, those of submissions it may read. */
const authorityItems = (a: number) => `(e.tenant_id = $${a} or e.hold_authority_tenant_id = $${a}
  or exists (select 1 from submissions s where s.id = e.submission_id and ${submissionScopeWhere(null, a)}))`;

/**
 * The SQL condition of `EvidenceScope` over the alias `e`, the owning tenant in `$n`, the authority tenant in
 * `$n+1`, a bound reviewer's case scope in `$n+2` and `$n+3` (all null: every item). An authority reads its own
 * tenant's items, those it holds, and those of the submissions it may read (`SubmissionScope`: behind an order it
 * issued or confirmed, or one awaiting confirmation). A bound reviewer reads the items of the cases it may read
 * (`caseScopeWhere`: the item's case, or a case about its submission), and an authority's reviewer what its
 * authority reads.
 */
export function evidenceScopeWhere(n: number): string {
  const [t, a, ca, r] = [n, n + 1, n + 2, n + 3];
  return `(($${r}::text is null and ($${t}::text is null or e.tenant_id = $${t})
      and ($${a}::text is null or ${authorityItems(a)}))
    or ($${r}::text is not null and (($${ca}::text is not null and ${authorityItems(ca)})
      or exists (select 1 from cases c
        where (c.id = e.case_id or c.submission_id = e.submission_id) and ${caseScopeWhere(ca, r)}))))`;
}

/** An item's metadata as `scope` may read it; null when absent or outside it. */
export async function getEvidenceItem(
  db: Queryable,
  id: string,
  scope: EvidenceScope,
): Promise<EvidenceItem | null> {
  return queryOne(
    db,
    `/* vault:get-item */ select ${EVIDENCE_COLUMNS} from evidence_items e
     where e.id = $1 and ${evidenceScopeWhere(2)}`,
    [id, ...evidenceScopeArgs(scope)],
    toEvidenceItem,
  );
}
