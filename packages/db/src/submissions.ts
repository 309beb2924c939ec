import { claimSubmission } from './intake.js';
import { orderScopeWhere } from './order-scope.js';
import { queryOne, type Queryable } from './pool.js';
import { submissionScannedUpdate } from './submission-scanned.js';
import { sqlParam, tenantScopeArgs, type TenantScope } from './scope-params.js';

export interface SubmissionInput {
  id: string;
  tenantId: string;
  source: 'api' | 'kafka' | 'fetcher' | 'report';
  externalRef?: string | null;
  reportedCategory?: string | null;
  url?: string | null;
  sha256?: string | null;
  bytes?: number | null;
}

/** Inserts a submission unless one with its id exists (`claimSubmission`, without the answer). */
export async function insertSubmission(db: Queryable, s: SubmissionInput): Promise<void> {
  await claimSubmission(db, s);
}

/**
 * Records the scan result on a submission that intake or a worker created (`receiveMedia`, `claimSubmission`);
 * only the submission's own tenant's verdict changes it. A failure noted before (the event later replayed from
 * the dead letters, or a mismatching event under its id) no longer stands: its code is cleared.
 */
export async function markSubmissionScanned(
  db: Queryable,
  s: { id: string; tenantId: string; sha256: string; decision: string; scannedAt: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:submission-scanned */ ${submissionScannedUpdate({ id: '$1', tenantId: '$2', decision: '$3', scannedAt: '$4', sha256: '$5' })}`,
    [s.id, s.tenantId, s.decision, s.scannedAt, s.sha256],
  );
  return rowCount === 1;
}

/**
 * Marks a submission of `tenantId` failed (a worker could not scan it) while it awaits its scan; another tenant's
 * is never touched, and neither is a decided one: a later event naming a scanned submission with other, empty or
 * undecodable media (a partner may name its own submissions) cannot turn its verdict into a failure, which would
 * also keep it from the classifier.
 */
export async function markSubmissionFailed(
  db: Queryable,
  s: { id: string; tenantId: string },
  failureCode: string,
): Promise<void> {
  await db.query(
    `/* scanner:submission-failed */ update submissions set status = 'failed', failure_code = $3
     where id = $1 and tenant_id = $2 and status = 'received'`,
    [s.id, s.tenantId, failureCode],
  );
}

/**
 * Adds the submissions of a crawled page's embedded images to the page's own (kept with any a previous delivery of
 * the same event recorded, in the order first recorded), only while it is failed (a page is not media): a delivery
 * that found media at the URL submitted it under the same id, and the report router follows a submission that names
 * images by those alone, so a redelivery answered with a page would hide the media's scan and orders.
 */
export async function recordEmbeddedSubmissions(
  db: Queryable,
  s: { id: string; tenantId: string },
  embeddedIds: readonly string[],
  /** How many images the page shows, fetched or not (the most any delivery found is kept). */
  shown = embeddedIds.length,
  /** Where each image comes from in the page (`img`, `meta`, `css`, `frame`), by id (the first recorded kept). */
  sources: Readonly<Record<string, string>> = {},
): Promise<void> {
  if (embeddedIds.length === 0) return;
  await db.query(
    `/* fetcher:embedded-submissions */ update submissions set embedded_submission_ids = array(
       select id from unnest(coalesce(embedded_submission_ids, '{}'::uuid[]) || $3::uuid[]) with ordinality as e(id, n)
       group by id order by min(n)),
       embedded_images_shown = greatest(coalesce(embedded_images_shown, 0), $4::int),
       embedded_image_sources = $5::jsonb || coalesce(embedded_image_sources, '{}'::jsonb)
     where id = $1 and tenant_id = $2 and status = 'failed'`,
    [s.id, s.tenantId, embeddedIds, shown, JSON.stringify(sources)],
  );
}

/** Where a submission stands for the classifier stage (which runs after the verdict). */
export interface SubmissionScanState {
  tenantId: string;
  status: 'received' | 'scanned' | 'failed';
  decision: string | null;
  sha256: string | null;
  classifiedAt: string | null;
}

interface ScanStateRow {
  tenant_id: string;
  status: SubmissionScanState['status'];
  decision: string | null;
  sha256: string | null;
  classified_at: Date | null;
}

const toScanState = (r: ScanStateRow): SubmissionScanState => ({
  tenantId: r.tenant_id,
  status: r.status,
  decision: r.decision,
  sha256: r.sha256,
  classifiedAt: r.classified_at?.toISOString() ?? null,
});

/** A submission's scan state, or null when no intake or worker recorded it (yet). */
export async function submissionScanState(db: Queryable, id: string): Promise<SubmissionScanState | null> {
  return queryOne(
    db,
    `/* classifier:scan-state */ select tenant_id, status, decision, sha256, classified_at from submissions
     where id = $1`,
    [id],
    toScanState,
  );
}

/**
 * Records the classifier's result on a scanned submission of `tenantId` whose content is `sha256`, once: false
 * when it was recorded before (a replay), or the submission is not that tenant's, not scanned, or not that content.
 */
export async function recordSubmissionClassification(
  db: Queryable,
  c: { id: string; tenantId: string; sha256: string; classification: unknown; classifiedAt: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* actioner:submission-classified */ update submissions set classification = $4, classified_at = $5
     where id = $1 and tenant_id = $2 and sha256 = $3 and status = 'scanned' and classified_at is null`,
    [c.id, c.tenantId, c.sha256, JSON.stringify(c.classification), c.classifiedAt],
  );
  return rowCount === 1;
}

export interface Submission {
  id: string;
  tenantId: string;
  source: string;
  externalRef: string | null;
  reportedCategory: string | null;
  sha256: string | null;
  status: 'received' | 'scanned' | 'failed';
  decision: string | null;
  failureCode: string | null;
  receivedAt: string;
  scannedAt: string | null;
  orderIds: string[];
}

/**
 * Who may read which submissions. THE submission visibility rule (the API's submission route, the orders an
 * authority may name as evidence, the audit records about submissions all apply it):
 * - `{ all: true }`: every submission, with every order on it (oversight: reviewers, admins);
 * - `{ all: false, tenantId }`: the submitting tenant's own submissions, with the orders on them (the target's
 *   or not: a submitter follows what its content led to), never a request folded into one of those orders
 *   (an authority's own request, see `issueOrderRequest`);
 * - `{ all: false, authorityTenantId }`: the authority tenant's own submissions and the submissions behind an
 *   order it may see (`OrderScope`: the submission is that order's evidence), with only the orders it may see.
 */
export type SubmissionScope = TenantScope<'tenantId'>;

/** The query parameters of `submissionScopeWhere`: the submitting tenant and the authority tenant. */
export function submissionScopeArgs(scope: SubmissionScope): [string | null, string | null] {
  return tenantScopeArgs(scope, 'tenantId');
}

/**
 * The SQL condition of `SubmissionScope` over the submissions alias `s`, reading the submitting tenant from
 * parameter `$t` and the authority tenant from `$a` (both null: every submission; a null parameter number:
 * that part unused).
 */
export function submissionScopeWhere(t: number | null, a: number | null): string {
  const tenant = sqlParam(t);
  const authority = sqlParam(a);
  return `(${tenant}::text is null or s.tenant_id = ${tenant})
    and (${authority}::text is null or s.tenant_id = ${authority}
      or exists (select 1 from order_submissions l join orders o on o.id = l.order_id
        where l.submission_id = s.id and ${orderScopeWhere(null, a)}))`;
}

interface SubmissionRow {
  id: string;
  tenant_id: string;
  source: string;
  external_ref: string | null;
  reported_category: string | null;
  sha256: string | null;
  status: Submission['status'];
  decision: string | null;
  failure_code: string | null;
  received_at: Date;
  scanned_at: Date | null;
  order_ids: string[];
}

const toSubmission = (r: SubmissionRow): Submission => ({
  id: r.id,
  tenantId: r.tenant_id,
  source: r.source,
  externalRef: r.external_ref,
  reportedCategory: r.reported_category,
  sha256: r.sha256,
  status: r.status,
  decision: r.decision,
  failureCode: r.failure_code,
  receivedAt: r.received_at.toISOString(),
  scannedAt: r.scanned_at?.toISOString() ?? null,
  orderIds: r.order_ids,
});

/**
 * A submission with the ids of its orders, oldest first, as `scope` may read it (`SubmissionScope`); null when
 * it does not exist or is outside the scope (indistinguishable on purpose).
 */
export async function getSubmission(
  db: Queryable,
  id: string,
  scope: SubmissionScope,
): Promise<Submission | null> {
  return queryOne(
    db,
    `/* api:get-submission */ select s.*, coalesce(array_agg(o.id order by o.created_at) filter (where o.id is not null), '{}') as order_ids
     from submissions s left join order_submissions l on l.submission_id = s.id
       left join orders o on o.id = l.order_id
       and ($2::text is null or o.folded_into is null) and ${orderScopeWhere(null, 3)}
     where s.id = $1 and ${submissionScopeWhere(2, 3)} group by s.id`,
    [id, ...submissionScopeArgs(scope)],
    toSubmission,
  );
}
