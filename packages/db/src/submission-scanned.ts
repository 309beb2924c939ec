/**
 * The update that records a scan result on a submission (`markSubmissionScanned`, `recordScannedVerdict`), with
 * the statement's own parameter numbers; only the submission's own tenant's result changes it, and a failure noted
 * before no longer stands.
 */
export const submissionScannedUpdate = (p: {
  id: string;
  tenantId: string;
  decision: string;
  scannedAt: string;
  sha256: string;
}): string =>
  `update submissions set status = 'scanned', decision = ${p.decision}, scanned_at = ${p.scannedAt},
     sha256 = coalesce(sha256, ${p.sha256}), failure_code = null where id = ${p.id} and tenant_id = ${p.tenantId}`;
