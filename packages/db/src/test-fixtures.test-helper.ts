import { randomBytes } from 'node:crypto';
import type { HoldRequest } from '@mod/vault';
import type { OrderInput } from './order-issue.js';
import type { Queryable } from './pool.js';
import type { ReportInput } from './reports.js';

// `@mod/db/testing`: test support this package's own tests import directly and `@mod/testing` re-exports to the
// rest of the workspace (this package's tests cannot import `@mod/testing`, which depends on this package). No
// vitest here, so `@mod/testing` may load it anywhere; never part of this package's main entry.

/**
 * An order to open (`openOrder`, `issueOrderRequest`): a policy's blocking order on a fresh content hash,
 * addressed to `isp-1`, due in a day, with no submission, with what `over` sets instead. Builds the value only.
 */
export const testOrder = (over: Partial<OrderInput> = {}): OrderInput => ({
  kind: 'blocking',
  subjectType: 'content-hash',
  subjectValue: randomBytes(32).toString('hex'),
  targetTenantId: 'isp-1',
  legalBasis: 'test',
  issuer: { kind: 'policy', id: 'policy-1' },
  deadlineAt: new Date(Date.now() + 86_400_000),
  evidence: {},
  policyVersion: '1',
  submissionId: null,
  actor: 'test',
  ...over,
});

/**
 * A report to file (`fileReport`): a hotline's report of `other`, in Vietnamese, of no URL, received now and due in a
 * day, with no contact, with what `over` sets instead. Builds the value only.
 */
export const testReport = (over: Partial<ReportInput> = {}): ReportInput => ({
  trackingSha256: randomBytes(32).toString('hex'),
  channel: 'hotline',
  tenantId: 'hotline-1',
  filedBy: null,
  category: 'other',
  seenWhere: null,
  description: null,
  language: 'vi',
  urls: [],
  receivedAt: new Date(),
  dueAt: new Date(Date.now() + 86_400_000),
  contact: null,
  ...over,
});

/**
 * A legal hold on a report (`setReportHold`, `releaseReportHold`) placed or released with `reason` by officer
 * `officer-1` of authority `police-1`, now, with no admin's override. Builds the value only.
 */
export const reportHoldBy = (reason: string): HoldRequest => ({
  by: { actor: { kind: 'person', id: 'officer-1' }, role: 'authority', tenantId: 'police-1' },
  authorityTenantId: 'police-1',
  mayOverride: false,
  reason,
  at: new Date(),
});

/**
 * Tampers with the vault as someone with write access to `evidence_items` could: copies item `fromId`'s sealed
 * bytes and wrapped data key, nonces and tags onto item `ontoId`. The seal binds them to their own item, so opening
 * `ontoId` afterwards must fail its check (`MOD_ERR_VAULT_TAMPERED`).
 */
export async function moveSealedEvidence(db: Queryable, fromId: string, ontoId: string): Promise<void> {
  await db.query(
    `update evidence_items t set ciphertext = s.ciphertext, data_nonce = s.data_nonce, data_tag = s.data_tag,
       wrapped_key = s.wrapped_key, key_nonce = s.key_nonce, key_tag = s.key_tag
     from evidence_items s where s.id = $1 and t.id = $2`,
    [fromId, ontoId],
  );
}

/** What a decision on a submission wrote, as `decisionWritten` reads it back. */
export interface DecisionWritten {
  /** `[kind, target tenant]` of the orders it opened or folded into, by kind and target. */
  orders: [string, string][];
  /** Its confirmation case, if one opened. */
  confirm: { reason: string; evidence: Record<string, unknown> } | undefined;
  /** The evidence documents of its audit record, by name (each parsed; the signed record holds their digests). */
  audited: Record<string, unknown>;
}

/**
 * Reads back what a decision on `submissionId` wrote: its orders, its confirmation case, and the evidence of the
 * audit record `audit.action` about `audit.subjectId` (the submission for policy's, the case for a person's).
 */
export async function decisionWritten(
  db: Queryable,
  submissionId: string,
  audit: { subjectId: string; action: string },
): Promise<DecisionWritten> {
  const orders = await db.query<{ kind: string; target_tenant_id: string }>(
    `select o.kind, o.target_tenant_id from orders o join order_submissions l on l.order_id = o.id
     where l.submission_id = $1 order by o.kind, o.target_tenant_id`,
    [submissionId],
  );
  const confirm = await db.query<{ reason: string; evidence: Record<string, unknown> }>(
    `select reason, evidence from cases where submission_id = $1 and kind = 'confirm'`,
    [submissionId],
  );
  const audited = await db.query<{ evidence: Record<string, unknown> | null }>(
    `select (select jsonb_object_agg(e.name, e.document::jsonb) from audit_evidence e where e.seq = r.seq) as evidence
     from audit_records r
     where r.record::jsonb #>> '{subject,id}' = $1 and r.record::jsonb ->> 'action' = $2`,
    [audit.subjectId, audit.action],
  );
  return {
    orders: orders.rows.map((o) => [o.kind, o.target_tenant_id]),
    confirm: confirm.rows[0],
    audited: audited.rows[0]?.evidence ?? {},
  };
}
