import { queryOne, type Queryable } from './pool.js';
import { addStep, refreshReports, type SubjectStatus } from './reports.js';

/** A subject the pipeline is still routing. */
export interface RoutingSubject {
  id: string;
  url: string;
  eventId: string;
  tenantId: string;
  routedAt: Date;
  routeAttempts: number;
  createdAt: Date;
}

interface RoutingRow {
  id: string;
  url: string;
  event_id: string;
  tenant_id: string;
  routed_at: Date;
  route_attempts: number;
  created_at: Date;
}

const ROUTING_COLUMNS = 'id, url, event_id, tenant_id, routed_at, route_attempts, created_at';
const toRouting = (r: RoutingRow): RoutingSubject => ({
  id: r.id,
  url: r.url,
  eventId: r.event_id,
  tenantId: r.tenant_id,
  routedAt: r.routed_at,
  routeAttempts: r.route_attempts,
  createdAt: r.created_at,
});

/** Ids of subjects in routing, oldest routed first (each is then locked on its own: `lockRoutingSubject`). */
export async function listRoutingSubjects(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* reports:list-routing */ select id from report_subjects where status = 'routing' order by routed_at limit $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** The subject, locked for the caller's transaction, if it is still routing and no other router holds it. */
export async function lockRoutingSubject(db: Queryable, id: string): Promise<RoutingSubject | null> {
  return queryOne(
    db,
    `/* reports:lock-routing */ select ${ROUTING_COLUMNS} from report_subjects
     where id = $1 and status = 'routing' for update skip locked`,
    [id],
    toRouting,
  );
}

/** Where the pipeline left a subject's submission: its scan, classification, orders and review case. */
export interface SubjectSubmission {
  id: string;
  url: string | null;
  status: 'received' | 'scanned' | 'failed';
  decision: string | null;
  failureCode: string | null;
  receivedAt: Date;
  scannedAt: Date | null;
  classifiedAt: Date | null;
  orderIds: string[];
  reviewCaseId: string | null;
  /** A crawled page's: the submissions of the images it shows (the router follows them too). */
  embeddedSubmissionIds: string[];
  /** A crawled page's: how many images it shows, fetched or not (null for anything else). */
  embeddedImagesShown: number | null;
  /** A crawled page's: where each image comes from in it (`img`, `meta`, `css`, `frame`), by submission id. */
  embeddedImageSources: Record<string, string>;
}

interface SubjectSubmissionRow {
  id: string;
  url: string | null;
  status: 'received' | 'scanned' | 'failed';
  decision: string | null;
  failure_code: string | null;
  received_at: Date;
  scanned_at: Date | null;
  classified_at: Date | null;
  order_ids: string[];
  case_id: string | null;
  embedded_submission_ids: string[] | null;
  embedded_images_shown: number | null;
  embedded_image_sources: Record<string, unknown> | null;
}

/** Submissions of `ids` that exist, in the order of `ids`. */
const SUBJECT_SUBMISSIONS = `select s.id, s.url, s.status, s.decision, s.failure_code, s.received_at, s.scanned_at,
    s.classified_at, s.embedded_submission_ids, s.embedded_images_shown,
    s.embedded_image_sources,
    array(select order_id from order_submissions o where o.submission_id = s.id order by order_id) as order_ids,
    (select c.id from cases c where c.submission_id = s.id and c.kind = 'review') as case_id
  from submissions s where s.id = any($1::uuid[]) order by array_position($1::uuid[], s.id)`;

const toSubjectSubmission = (r: SubjectSubmissionRow): SubjectSubmission => ({
  id: r.id,
  url: r.url,
  status: r.status,
  decision: r.decision,
  failureCode: r.failure_code,
  receivedAt: r.received_at,
  scannedAt: r.scanned_at,
  classifiedAt: r.classified_at,
  orderIds: r.order_ids,
  reviewCaseId: r.case_id,
  embeddedSubmissionIds: r.embedded_submission_ids ?? [],
  embeddedImagesShown: r.embedded_images_shown,
  embeddedImageSources: Object.fromEntries(
    Object.entries(r.embedded_image_sources ?? {}).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  ),
});

/** The first of `ids` (the submission ids the fetcher derives from the subject's event) that exists. */
export async function findSubjectSubmission(
  db: Queryable,
  ids: readonly string[],
): Promise<SubjectSubmission | null> {
  return queryOne(
    db,
    `/* reports:subject-submission */ ${SUBJECT_SUBMISSIONS} limit 1`,
    [ids],
    toSubjectSubmission,
  );
}

/** The submissions of `ids` that exist (a crawled page's embedded images), in the order of `ids`. */
export async function findSubmissions(db: Queryable, ids: readonly string[]): Promise<SubjectSubmission[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<SubjectSubmissionRow>(
    `/* reports:embedded-submissions */ ${SUBJECT_SUBMISSIONS}`,
    [ids],
  );
  return rows.map(toSubjectSubmission);
}

/** The subject's event was sent again (nothing came of it in time). */
export async function markSubjectRerouted(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query(
    `/* reports:rerouted */ update report_subjects set routed_at = $2, route_attempts = route_attempts + 1
     where id = $1`,
    [id, at],
  );
  await addStep(db, { subjectId: id, at, step: 'rerouted', owner: 'system:pipeline' });
}

/** A person now assesses the subject: its review case (opened by the pipeline or for the report). */
export async function moveSubjectToCase(
  db: Queryable,
  s: { id: string; caseId: string; submissionId: string; at: Date; note: string },
): Promise<void> {
  await db.query(
    `/* reports:to-case */ update report_subjects set status = 'case', case_id = $2, submission_id = $3, owner = null
     where id = $1`,
    [s.id, s.caseId, s.submissionId],
  );
  await addStep(db, {
    subjectId: s.id,
    at: s.at,
    step: 'case-opened',
    owner: 'system:pipeline',
    note: s.note,
  });
  await refreshReports(db, { subjectIds: [s.id] }, s.at);
}

/** The subject's outcome, with its reason and who decided (a person id, or the pipeline), and its reports'. */
export async function settleSubject(
  db: Queryable,
  s: {
    id: string;
    status: Extract<SubjectStatus, 'actioned' | 'no-action'>;
    reason: string;
    orderIds: readonly string[];
    submissionId: string | null;
    owner: string;
    at: Date;
  },
): Promise<void> {
  await db.query(
    `/* reports:settle */ update report_subjects set status = $2, outcome_reason = $3, order_ids = $4,
       submission_id = coalesce($5, submission_id), owner = $6, settled_at = $7 where id = $1 and settled_at is null`,
    [s.id, s.status, s.reason.slice(0, 8000), s.orderIds, s.submissionId, s.owner, s.at],
  );
  await addStep(db, { subjectId: s.id, at: s.at, step: s.status, owner: s.owner, note: s.reason });
  await refreshReports(db, { subjectIds: [s.id] }, s.at);
}

/** A subject under review and where its case stands (claimed, decided, escalated). */
export interface CaseSubject {
  id: string;
  owner: string | null;
  caseId: string;
  caseStatus: 'open' | 'closed';
  decision: 'confirm' | 'dismiss' | 'escalate' | null;
  decisionReason: string | null;
  decidedBy: string | null;
  claimedBy: string | null;
  orderIds: string[];
  /** The escalation opened from the case, when it was escalated. */
  escalationId: string | null;
  submissionId: string | null;
}

const CASE_SUBJECT_SELECT = `select s.id, s.owner, s.case_id, c.status as case_status, c.decision,
    c.decision_reason, c.decided_by::text as decided_by, c.claimed_by::text as claimed_by, c.order_ids,
    s.submission_id, (select e.id from cases e where e.escalated_from = c.id order by e.created_at limit 1)
      as escalation_id
  from report_subjects s join cases c on c.id = s.case_id
  where s.status = 'case' and (c.status = 'closed' or c.claimed_by::text is distinct from s.owner)`;

interface CaseSubjectRow {
  id: string;
  owner: string | null;
  case_id: string;
  case_status: 'open' | 'closed';
  decision: 'confirm' | 'dismiss' | 'escalate' | null;
  decision_reason: string | null;
  decided_by: string | null;
  claimed_by: string | null;
  order_ids: string[];
  escalation_id: string | null;
  submission_id: string | null;
}

const toCaseSubject = (r: CaseSubjectRow): CaseSubject => ({
  id: r.id,
  owner: r.owner,
  caseId: r.case_id,
  caseStatus: r.case_status,
  decision: r.decision,
  decisionReason: r.decision_reason,
  decidedBy: r.decided_by,
  claimedBy: r.claimed_by,
  orderIds: r.order_ids,
  escalationId: r.escalation_id,
  submissionId: r.submission_id,
});

/** Ids of subjects whose case changed hands or closed since the last pass. */
export async function listCaseSubjectsToFollow(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `/* reports:list-case-subjects */ select id from (${CASE_SUBJECT_SELECT} order by s.id limit $1) x`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/** The subject and its case, locked for the caller's transaction, if it still needs following. */
export async function lockCaseSubject(db: Queryable, id: string): Promise<CaseSubject | null> {
  return queryOne(
    db,
    `/* reports:lock-case-subject */ ${CASE_SUBJECT_SELECT} and s.id = $1 for update of s skip locked`,
    [id],
    toCaseSubject,
  );
}

/** The person now holding the subject's case (or none: released), as its owner. */
export async function setSubjectOwner(
  db: Queryable,
  s: { id: string; owner: string | null; at: Date },
): Promise<void> {
  await db.query(`/* reports:owner */ update report_subjects set owner = $2 where id = $1`, [s.id, s.owner]);
  await addStep(db, {
    subjectId: s.id,
    at: s.at,
    step: s.owner === null ? 'released' : 'claimed',
    owner: s.owner ?? 'system:queue',
  });
}

/** The subject follows the escalation its case became (an authority decides now). */
export async function followEscalation(
  db: Queryable,
  s: { id: string; escalationId: string; escalatedBy: string | null; at: Date },
): Promise<void> {
  await db.query(
    `/* reports:escalated */ update report_subjects set case_id = $2, owner = null where id = $1`,
    [s.id, s.escalationId],
  );
  await addStep(db, { subjectId: s.id, at: s.at, step: 'escalated', owner: s.escalatedBy ?? 'system:queue' });
}

/** What reporters said about a subject's URL: the context a reviewer reads with its case (bounded). */
export interface SubjectReportContext {
  reports: number;
  channels: string[];
  categories: string[];
  /** Up to five reports' words, oldest first, each cut to 1000 characters. */
  accounts: { channel: string; category: string; seenWhere: string | null; description: string | null }[];
}

export async function subjectReportContext(db: Queryable, subjectId: string): Promise<SubjectReportContext> {
  const { rows } = await db.query<{
    channel: string;
    category: string;
    seen_where: string | null;
    description: string | null;
  }>(
    `/* reports:subject-context */ select r.channel, r.category, left(r.seen_where, 1000) as seen_where,
       left(r.description, 1000) as description
     from report_urls u join reports r on r.id = u.report_id where u.subject_id = $1
     order by r.received_at, r.id`,
    [subjectId],
  );
  return {
    reports: rows.length,
    channels: [...new Set(rows.map((r) => r.channel))].sort(),
    categories: [...new Set(rows.map((r) => r.category))].sort(),
    accounts: rows.slice(0, 5).map((r) => ({
      channel: r.channel,
      category: r.category,
      seenWhere: r.seen_where,
      description: r.description,
    })),
  };
}
