import { randomUUID } from 'node:crypto';
import type { CaseToOpen } from '@mod/policy';
import { queryOne, type Queryable } from './pool.js';
import { keysetArgs, keysetPage } from './keyset.js';
import { caseScopeArgs, caseScopeWhere, type CaseScope } from './case-scope.js';

/** Kinds of case (`review` for reviewers; `confirm` and `escalation` for authorities). */
export type ReviewCaseKind = 'review' | 'confirm' | 'escalation';
export type ReviewDecision = 'confirm' | 'dismiss' | 'escalate';

/** A case as people work it (times as `Date`s; `dueAt` is the effective deadline, see `CaseReadOptions`). */
export interface ReviewCase extends Omit<CaseToOpen, 'kind'> {
  id: string;
  kind: ReviewCaseKind;
  status: 'open' | 'closed';
  tenantId: string | null;
  dueAt: Date | null;
  claimedBy: string | null;
  claimedAt: Date | null;
  claimExpiresAt: Date | null;
  decision: ReviewDecision | null;
  category: 'A' | 'B' | 'C' | null;
  decisionReason: string | null;
  decidedBy: string | null;
  closedAt: Date | null;
  assignedTenantId: string | null;
  escalatedFrom: string | null;
}

export interface CaseReadOptions {
  scope: CaseScope;
  /** Deadline of review cases opened without one (the actioner's): `created_at` plus this many hours. */
  reviewDeadlineHours: number;
}

interface CaseRow {
  id: string;
  kind: ReviewCaseKind;
  status: 'open' | 'closed';
  tenant_id: string | null;
  submission_id: string | null;
  order_ids: string[];
  reason: string;
  evidence: unknown;
  policy_version: string;
  created_at: Date;
  effective_due_at: Date | null;
  claimed_by: string | null;
  claimed_at: Date | null;
  claim_expires_at: Date | null;
  decision: ReviewDecision | null;
  category: 'A' | 'B' | 'C' | null;
  decision_reason: string | null;
  decided_by: string | null;
  closed_at: Date | null;
  assigned_tenant_id: string | null;
  escalated_from: string | null;
}

const toCase = (r: CaseRow): ReviewCase => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  tenantId: r.tenant_id,
  submissionId: r.submission_id,
  orderIds: r.order_ids,
  reason: r.reason,
  evidence: r.evidence,
  policyVersion: r.policy_version,
  createdAt: r.created_at,
  dueAt: r.effective_due_at,
  claimedBy: r.claimed_by,
  claimedAt: r.claimed_at,
  claimExpiresAt: r.claim_expires_at,
  decision: r.decision,
  category: r.category,
  decisionReason: r.decision_reason,
  decidedBy: r.decided_by,
  closedAt: r.closed_at,
  assignedTenantId: r.assigned_tenant_id,
  escalatedFrom: r.escalated_from,
});

/** The columns of a case, with its effective deadline (`$dueHours`: the review deadline parameter). */
const CASE_COLUMNS = (dueHours: number) => `c.id, c.kind, c.status, c.tenant_id, c.submission_id, c.order_ids,
  c.reason, c.evidence, c.policy_version, c.created_at, c.claimed_by, c.claimed_at, c.claim_expires_at,
  c.decision, c.category, c.decision_reason, c.decided_by, c.closed_at, c.assigned_tenant_id, c.escalated_from,
  coalesce(c.due_at, case when c.kind = 'review' then c.created_at + $${dueHours}::float8 * interval '1 hour' end)
    as effective_due_at`;

/** A case as `scope` may read it, or null (none, or outside the scope). `lock`: `for update`, in a transaction. */
export async function getReviewCase(
  db: Queryable,
  id: string,
  o: CaseReadOptions & { lock?: boolean },
): Promise<ReviewCase | null> {
  const [authority, reviewer] = caseScopeArgs(o.scope);
  return queryOne(
    db,
    `/* api:get-case */ select ${CASE_COLUMNS(3)} from cases c where c.id = $1 and ${caseScopeWhere(2, 4)}
     ${o.lock === true ? 'for update' : ''}`,
    [id, authority, o.reviewDeadlineHours, reviewer],
    toCase,
  );
}

/** Which cases of a queue: waiting (no live claim), claimed, open (both), decided, or all. */
export type CaseQueueStatus = 'waiting' | 'claimed' | 'open' | 'decided' | 'all';

export interface CaseQueueQuery extends CaseReadOptions {
  kinds: readonly ReviewCaseKind[];
  status: CaseQueueStatus;
  now: Date;
  tenantId?: string | undefined;
  /** Text the reason contains, case-insensitive. */
  reason?: string | undefined;
  minScore?: number | undefined;
  maxScore?: number | undefined;
  minAgeMinutes?: number | undefined;
  maxAgeMinutes?: number | undefined;
  category?: 'A' | 'B' | 'C' | undefined;
  /** The last case of the previous page (oldest first). */
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/**
 * A page of a queue, oldest first (`created_at`, `id`), keyset-paginated. The score is the classifier's risk
 * score in the case's evidence; the category is the decided one, or for undecided cases one of its hits'.
 */
export async function listReviewQueue(db: Queryable, q: CaseQueueQuery): Promise<ReviewCase[]> {
  const [authority, reviewer] = caseScopeArgs(q.scope);
  const { rows } = await db.query<CaseRow>(
    `/* api:case-queue */ select ${CASE_COLUMNS(3)} from cases c
     where c.kind = any($1::text[]) and ${caseScopeWhere(2, 16)}
       and case $4::text
         when 'waiting' then c.status = 'open' and (c.claimed_by is null or c.claim_expires_at <= $5)
         when 'claimed' then c.status = 'open' and c.claim_expires_at > $5
         when 'open' then c.status = 'open'
         when 'decided' then c.status = 'closed'
         else true end
       and ($6::text is null or c.tenant_id = $6)
       and ($7::text is null or strpos(lower(c.reason), lower($7)) > 0)
       and ($8::float8 is null or (c.evidence -> 'classification' ->> 'riskScore')::float8 >= $8)
       and ($9::float8 is null or (c.evidence -> 'classification' ->> 'riskScore')::float8 <= $9)
       and ($10::float8 is null or c.created_at <= $5 - $10 * interval '1 minute')
       and ($11::float8 is null or c.created_at >= $5 - $11 * interval '1 minute')
       and ($12::text is null or c.category = $12 or (c.category is null
         and c.evidence -> 'hits' @> jsonb_build_array(jsonb_build_object('category', $12::text))))
       and ${keysetPage({ table: 'cases', alias: 'c', time: 'created_at', id: 'id' }, 'asc', 13)}`,
    [
      q.kinds,
      authority,
      q.reviewDeadlineHours,
      q.status,
      q.now,
      q.tenantId ?? null,
      q.reason ?? null,
      q.minScore ?? null,
      q.maxScore ?? null,
      q.minAgeMinutes ?? null,
      q.maxAgeMinutes ?? null,
      q.category ?? null,
      ...keysetArgs(q.after?.createdAt, q.after?.id, q.limit),
      reviewer,
    ],
  );
  return rows.map(toCase);
}

/**
 * Claims a case for a person, atomically: only while it is open and nobody else holds a live claim (the
 * claimer may renew). False when another claim won the race or the case closed meanwhile.
 */
export async function claimReviewCase(
  db: Queryable,
  id: string,
  claim: { claimedBy: string; claimedAt: Date; claimExpiresAt: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* api:claim-case */ update cases set claimed_by = $2, claimed_at = $3, claim_expires_at = $4
     where id = $1 and status = 'open' and (claimed_by is null or claim_expires_at <= $3 or claimed_by = $2)`,
    [id, claim.claimedBy, claim.claimedAt, claim.claimExpiresAt],
  );
  return rowCount === 1;
}

/** Gives a live claim back (only its holder's). False when the caller held no live claim. */
export async function releaseReviewCase(
  db: Queryable,
  id: string,
  personId: string,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* api:release-case */ update cases set claimed_by = null, claimed_at = null, claim_expires_at = null
     where id = $1 and status = 'open' and claimed_by = $2 and claim_expires_at > $3`,
    [id, personId, now],
  );
  return rowCount === 1;
}

/** Gives back every live claim a person holds (an admin disabled them): the released cases' ids. */
export async function releaseClaimsOf(db: Queryable, personId: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* api:release-claims-of */ update cases set claimed_by = null, claimed_at = null, claim_expires_at = null
     where claimed_by = $1 and status = 'open' and claim_expires_at > $2 returning id`,
    [personId, now],
  );
  return rows.map((r) => r.id).sort();
}

export interface CaseClosing {
  decision: ReviewDecision;
  category: 'A' | 'B' | 'C' | null;
  reason: string;
  decidedBy: string;
  decidedAt: Date;
  /** The order-history style label of who decided (`role:tenant:person`). */
  closedBy: string;
  /** Orders the decision issued (added to the case's). */
  orderIds: readonly string[];
}

/**
 * Closes a case with a person's decision, only while that person holds a live claim on it (in the decision's
 * transaction, after `getReviewCase(..., { lock: true })`). False when the claim lapsed or the case closed.
 */
export async function closeReviewCase(db: Queryable, id: string, d: CaseClosing): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* api:close-case */ update cases set status = 'closed', decision = $2, category = $3, decision_reason = $4,
       decided_by = $5, closed_at = $6, closed_by = $7,
       order_ids = (select coalesce(array_agg(distinct x), '{}') from unnest(order_ids || $8::uuid[]) x)
     where id = $1 and status = 'open' and claimed_by = $5 and claim_expires_at > $6`,
    [id, d.decision, d.category, d.reason, d.decidedBy, d.decidedAt, d.closedBy, d.orderIds],
  );
  return rowCount === 1;
}

/**
 * Opens the escalation of a case for an authority (one per submission, as every case kind: a second escalation
 * of the same content folds into the open one). Returns its id and whether it is new.
 */
export async function openEscalation(
  db: Queryable,
  e: {
    from: Pick<ReviewCase, 'id' | 'submissionId' | 'tenantId' | 'orderIds' | 'evidence' | 'policyVersion'>;
    reason: string;
    authorityTenantId: string | null;
    dueAt: Date | null;
    createdAt: Date;
  },
): Promise<{ id: string; created: boolean }> {
  const { rows } = await db.query<{ id: string; created: boolean }>(
    `/* api:open-escalation */ insert into cases (id, kind, submission_id, order_ids, reason, evidence,
       policy_version, created_at, tenant_id, due_at, assigned_tenant_id, escalated_from)
     values ($1, 'escalation', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict (submission_id, kind) where submission_id is not null
     do update set order_ids = cases.order_ids
     returning id, (xmax = 0) as created`,
    [
      randomUUID(),
      e.from.submissionId,
      e.from.orderIds,
      e.reason,
      JSON.stringify(e.from.evidence),
      e.from.policyVersion,
      e.createdAt,
      e.from.tenantId,
      e.dueAt,
      e.authorityTenantId,
      e.from.id,
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('escalation insert returned no row');
  return row;
}

/** One line of the queues' gauges. */
export interface QueueStats {
  kind: ReviewCaseKind;
  /** Open (undecided) cases. */
  open: number;
  /** Opening time of the oldest open case, or null when none is open. */
  oldestOpenAt: Date | null;
  /** Open cases past their deadline. */
  overdue: number;
}

/** Size, oldest case and overdue count of each kind's queue (every kind listed, zero when empty). */
export async function reviewQueueStats(
  db: Queryable,
  now: Date,
  reviewDeadlineHours: number,
): Promise<QueueStats[]> {
  const { rows } = await db.query<{
    kind: ReviewCaseKind;
    open: string;
    oldest: Date | null;
    overdue: string;
  }>(
    `/* api:case-queue-stats */ select k.kind, count(c.id) as open, min(c.created_at) as oldest,
       count(c.id) filter (where coalesce(c.due_at, case when c.kind = 'review'
         then c.created_at + $2::float8 * interval '1 hour' end) <= $1) as overdue
     from unnest(array['review', 'confirm', 'escalation']) as k(kind)
     left join cases c on c.kind = k.kind and c.status = 'open'
     group by k.kind order by k.kind`,
    [now, reviewDeadlineHours],
  );
  return rows.map((r) => ({
    kind: r.kind,
    open: Number(r.open),
    oldestOpenAt: r.oldest,
    overdue: Number(r.overdue),
  }));
}

/** The content a case is about: its submission and what the last verdict and the classifier said (no media). */
export interface CaseContent {
  submissionId: string;
  tenantId: string;
  source: string;
  url: string | null;
  sha256: string | null;
  sizeBytes: number | null;
  receivedAt: Date;
  status: string;
  decision: string | null;
  /** The last verdict's hashes (sha256, sha1, md5, pdq, blockhash, ...) and scanner version, when scanned. */
  hashes: Record<string, unknown> | null;
  scannerVersion: string | null;
  /** The classifier's full result (scores, risk, model ids and versions), when it ran. */
  classification: unknown;
}

interface CaseContentRow {
  id: string;
  tenant_id: string;
  source: string;
  url: string | null;
  sha256: string | null;
  bytes: number | null;
  received_at: Date;
  status: string;
  decision: string | null;
  hashes: Record<string, unknown> | null;
  scanner_version: string | null;
  classification: unknown;
}

const toCaseContent = (r: CaseContentRow): CaseContent => ({
  submissionId: r.id,
  tenantId: r.tenant_id,
  source: r.source,
  url: r.url,
  sha256: r.sha256,
  sizeBytes: r.bytes,
  receivedAt: r.received_at,
  status: r.status,
  decision: r.decision,
  hashes: r.hashes,
  scannerVersion: r.scanner_version,
  classification: r.classification ?? null,
});

/** What a case's submission holds (read with the case's own authorisation: the case scope). */
export async function getCaseContent(db: Queryable, submissionId: string): Promise<CaseContent | null> {
  return queryOne(
    db,
    `/* api:case-content */ select s.id, s.tenant_id, s.source, s.url, s.sha256, s.bytes, s.received_at, s.status,
       s.decision, s.classification, v.hashes, v.scanner_version
     from submissions s
     left join lateral (select hashes, scanner_version from verdicts where submission_id = s.id
       order by recorded_at desc limit 1) v on true
     where s.id = $1`,
    [submissionId],
    toCaseContent,
  );
}
