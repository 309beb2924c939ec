import { queryOne, type Queryable } from './pool.js';
import {
  SUBJECT_MOVED_SINCE_FILED,
  type ReportCategory,
  type ReportChannel,
  type ReportFields,
  type ReportStatus,
  type SubjectStatus,
} from './reports.js';
import { keysetArgs, keysetPage } from './keyset.js';
import {
  REPORT_HOLD_COLUMNS,
  toReportHold,
  type ReportHoldRow,
  type ReportLegalHold,
} from './report-holds.js';
import { referredToCondition } from './report-referrals.js';

/** A report as operators see it (never its tracking code; contact details only through `readReportContact`). */
export interface ReportView extends ReportFields {
  id: string;
  status: ReportStatus;
  outcomeReason: string | null;
  /** The named person responsible for it now (who took it), and their display name. */
  ownerPersonId: string | null;
  ownerName: string | null;
  receivedAt: Date;
  dueAt: Date;
  outcomeAt: Date | null;
  /** When its description and where-seen were erased at the end of their retention (null: kept, or never given). */
  textErasedAt: Date | null;
  /** A legal hold on the report (`setReportHold`): while set, none of its personal data is erased. */
  legalHold: ReportLegalHold | null;
  hasContact: boolean;
  subjects: ReportSubjectView[];
}

export interface ReportSubjectView {
  id: string;
  /** Null once erased at the end of its retention (`erasePersonalData`, kind `reported-url`). */
  url: string | null;
  /** When `url` was erased (null: kept). */
  urlErasedAt: Date | null;
  status: SubjectStatus;
  submissionId: string | null;
  caseId: string | null;
  orderIds: string[];
  owner: string | null;
  outcomeReason: string | null;
  /** Reports that folded into this subject (this one included). */
  reports: number;
  settledAt: Date | null;
  /**
   * Whether the subject moved on (a step of its own: a case opened, claimed, settled…) since this report was
   * filed. A subject another report opened may be further on already: an outsider is told its state only once it
   * moved on after its own report (`outsiderView` in the API), not whether others reported the URL first.
   */
  movedSinceFiled: boolean;
}

export interface ReportStep {
  at: Date;
  step: string;
  owner: string;
  /** The person's display name when the owner is a person id. */
  ownerName: string | null;
  subjectId: string | null;
  note: string | null;
}

interface ReportRow extends ReportHoldRow {
  id: string;
  channel: ReportChannel;
  tenant_id: string;
  filed_by: string | null;
  category: ReportCategory;
  seen_where: string | null;
  description: string | null;
  language: 'vi' | 'en';
  status: ReportStatus;
  outcome_reason: string | null;
  owner_person_id: string | null;
  owner_name: string | null;
  received_at: Date;
  due_at: Date;
  outcome_at: Date | null;
  text_erased_at: Date | null;
  has_contact: boolean;
  subjects: {
    id: string;
    url: string | null;
    url_erased_at: string | null;
    status: SubjectStatus;
    submission_id: string | null;
    case_id: string | null;
    order_ids: string[];
    owner: string | null;
    outcome_reason: string | null;
    reports: number;
    settled_at: string | null;
    moved_since_filed: boolean;
  }[];
}

const REPORT_SELECT = `select r.id, r.channel, r.tenant_id, r.filed_by, r.category, r.seen_where, r.description,
    r.language, r.status, r.outcome_reason, r.owner_person_id,
    (select p.display_name from people p where p.id = r.owner_person_id) as owner_name,
    r.received_at, r.due_at, r.outcome_at, r.text_erased_at, ${REPORT_HOLD_COLUMNS},
    exists (select 1 from report_contacts c where c.report_id = r.id) as has_contact,
    coalesce((select json_agg(json_build_object('id', s.id, 'url', s.url, 'url_erased_at', s.url_erased_at,
        'status', s.status,
        'submission_id', s.submission_id, 'case_id', s.case_id, 'order_ids', s.order_ids, 'owner', s.owner,
        'outcome_reason', s.outcome_reason, 'settled_at', s.settled_at,
        'reports', (select count(*) from report_urls x where x.subject_id = s.id),
        'moved_since_filed', ${SUBJECT_MOVED_SINCE_FILED}) order by u.position)
      from report_urls u join report_subjects s on s.id = u.subject_id where u.report_id = r.id), '[]') as subjects
  from reports r`;

const toView = (r: ReportRow): ReportView => ({
  id: r.id,
  channel: r.channel,
  tenantId: r.tenant_id,
  filedBy: r.filed_by,
  category: r.category,
  seenWhere: r.seen_where,
  description: r.description,
  language: r.language,
  status: r.status,
  outcomeReason: r.outcome_reason,
  ownerPersonId: r.owner_person_id,
  ownerName: r.owner_name,
  receivedAt: r.received_at,
  dueAt: r.due_at,
  outcomeAt: r.outcome_at,
  textErasedAt: r.text_erased_at,
  legalHold: toReportHold(r),
  hasContact: r.has_contact,
  subjects: r.subjects.map((s) => ({
    id: s.id,
    url: s.url,
    urlErasedAt: s.url_erased_at === null ? null : new Date(s.url_erased_at),
    status: s.status,
    submissionId: s.submission_id,
    caseId: s.case_id,
    orderIds: s.order_ids,
    owner: s.owner,
    outcomeReason: s.outcome_reason,
    reports: Number(s.reports),
    settledAt: s.settled_at === null ? null : new Date(s.settled_at),
    movedSinceFiled: s.moved_since_filed,
  })),
});

/**
 * Which reports a caller reaches: all (operators), those one tenant filed (a platform, a hotline's keys), or those
 * standing referred to one authority tenant (`referReport`).
 */
export type ReportScope =
  | { all: true }
  | { all: false; tenantId: string }
  | { all: false; referredTo: string };
const scopeArg = (scope: ReportScope) => (!scope.all && 'tenantId' in scope ? scope.tenantId : null);
const referredArg = (scope: ReportScope) => (!scope.all && 'referredTo' in scope ? scope.referredTo : null);

export async function getReport(db: Queryable, id: string, scope: ReportScope): Promise<ReportView | null> {
  return queryOne(
    db,
    `/* reports:get */ ${REPORT_SELECT} where r.id = $1 and ($2::text is null or r.tenant_id = $2)
       and ($3::text is null or ${referredToCondition('$3')})`,
    [id, scopeArg(scope), referredArg(scope)],
    toView,
  );
}

export interface ReportListQuery {
  scope: ReportScope;
  status?: ReportStatus;
  channel?: ReportChannel;
  /** Keyset: reports received before this (received_at, id). */
  before?: { receivedAt: Date; id: string };
  limit: number;
}

/** Newest first, keyset-paginated. */
export async function listReports(db: Queryable, q: ReportListQuery): Promise<ReportView[]> {
  const { rows } = await db.query<ReportRow>(
    `/* reports:list */ ${REPORT_SELECT}
     where ($1::text is null or r.tenant_id = $1) and ($2::text is null or r.status = $2)
       and ($3::text is null or r.channel = $3) and ($4::text is null or ${referredToCondition('$4')})
       and ${keysetPage({ table: 'reports', alias: 'r', time: 'received_at', id: 'id' }, 'desc', 5)}`,
    [
      scopeArg(q.scope),
      q.status ?? null,
      q.channel ?? null,
      referredArg(q.scope),
      ...keysetArgs(q.before?.receivedAt, q.before?.id, q.limit),
    ],
  );
  return rows.map(toView);
}

/** A report's history: every step of it and of its subjects, oldest first, with who owned each. */
export async function reportSteps(db: Queryable, reportId: string): Promise<ReportStep[]> {
  const { rows } = await db.query<{
    at: Date;
    step: string;
    owner: string;
    owner_name: string | null;
    subject_id: string | null;
    note: string | null;
  }>(
    `/* reports:steps */ select st.at, st.step, st.owner, p.display_name as owner_name, st.subject_id, st.note
     from report_steps st left join people p on p.id::text = st.owner
     where st.report_id = $1
        or (st.report_id is null and st.subject_id in (select subject_id from report_urls where report_id = $1))
     order by st.at, st.id`,
    [reportId],
  );
  return rows.map((r) => ({
    at: r.at,
    step: r.step,
    owner: r.owner,
    ownerName: r.owner_name,
    subjectId: r.subject_id,
    note: r.note,
  }));
}

/** The sealed contact of a report (opened by the caller, who audits the read), or null (none, or deleted). */
export async function readReportContact(
  db: Queryable,
  reportId: string,
): Promise<{ sealed: Buffer; keyId: string; consents: { contact: boolean; followUp: boolean } } | null> {
  const { rows } = await db.query<{
    sealed: Buffer;
    key_id: string;
    consents: { contact: boolean; followUp: boolean };
  }>(`/* reports:contact */ select sealed, key_id, consents from report_contacts where report_id = $1`, [
    reportId,
  ]);
  const r = rows[0];
  return r === undefined ? null : { sealed: r.sealed, keyId: r.key_id, consents: r.consents };
}

/**
 * Brings the deletion time of contact details already stored within the retention period configured now
 * (`retentionDays` after their report was received): `delete_after` is fixed at filing, so details kept under a
 * longer setting would outlive a shorter one. Never lengthens one (a longer setting applies to new reports).
 * Returns how many were shortened; the actioner's pass then deletes those due.
 */
export async function shortenReportContactRetention(db: Queryable, retentionDays: number): Promise<number> {
  const { rowCount } = await db.query(
    `/* reports:contact-retention */ update report_contacts c
     set delete_after = r.received_at + make_interval(secs => $1::double precision * 86400)
     from reports r
     where r.id = c.report_id and c.delete_after > r.received_at + make_interval(secs => $1::double precision * 86400)`,
    [retentionDays],
  );
  return rowCount ?? 0;
}

/**
 * Takes a public form token once (by its random nonce), for every API instance at once: false when it was taken
 * before. Kept until `expiresAt`, when the token is refused as expired anyway (`deleteExpiredFormTokens`).
 */
export async function takeFormToken(db: Queryable, nonce: string, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* reports:form-token */ insert into report_form_tokens (nonce, expires_at) values ($1, $2)
     on conflict (nonce) do nothing`,
    [nonce, expiresAt],
  );
  return rowCount === 1;
}

/** Forgets the form tokens past their expiry at `now` (an expired token is refused before it is looked up). */
export async function deleteExpiredFormTokens(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `/* reports:form-token-expiry */ delete from report_form_tokens where expires_at <= $1`,
    [now],
  );
  return rowCount ?? 0;
}

/** Reports without an outcome, and those of them past their deadline at `now`, per channel that has any. */
export async function openReportsByChannel(
  db: Queryable,
  now: Date,
): Promise<{ channel: ReportChannel; open: number; overdue: number }[]> {
  const { rows } = await db.query<{ channel: ReportChannel; open: string; overdue: string }>(
    `/* reports:open-by-channel */ select channel, count(*) as open, count(*) filter (where due_at < $1) as overdue
     from reports where outcome_at is null group by channel`,
    [now],
  );
  return rows.map((r) => ({ channel: r.channel, open: Number(r.open), overdue: Number(r.overdue) }));
}

/** The programme's figures over reports received in [from, to). */
export interface ReportStats {
  received: number;
  handled: number;
  handledWithinDeadline: number;
  /** handledWithinDeadline / received (0 when none received). */
  shareHandledWithinDeadline: number;
  /** Median seconds from receipt to outcome over handled reports (null when none). */
  medianSecondsToOutcome: number | null;
  open: number;
  overdue: number;
  byChannel: {
    channel: ReportChannel;
    received: number;
    handled: number;
    handledWithinDeadline: number;
    /** Median seconds from receipt to outcome over the channel's handled reports (null when none). */
    medianSecondsToOutcome: number | null;
  }[];
  byCategory: { category: ReportCategory; actioned: number; noAction: number; open: number }[];
}

/** Median seconds from receipt to outcome over the handled reports of a group (SQL; null when none). */
const MEDIAN_TO_OUTCOME = `percentile_cont(0.5) within group (order by extract(epoch from outcome_at - received_at))
         filter (where outcome_at is not null)`;
const secondsOrNull = (v: number | null | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);

export async function reportStats(
  db: Queryable,
  range: { from: Date; to: Date; now: Date },
): Promise<ReportStats> {
  const where = `received_at >= $1 and received_at < $2`;
  const totals = await db.query<{
    received: string;
    handled: string;
    within: string;
    median: number | null;
    open: string;
    overdue: string;
  }>(
    `/* reports:stats */ select count(*) as received, count(outcome_at) as handled,
       count(*) filter (where outcome_at <= due_at) as within,
       ${MEDIAN_TO_OUTCOME} as median,
       count(*) filter (where outcome_at is null) as open,
       count(*) filter (where outcome_at is null and due_at < $3) as overdue
     from reports where ${where}`,
    [range.from, range.to, range.now],
  );
  const channels = await db.query<{
    channel: ReportChannel;
    received: string;
    handled: string;
    within: string;
    median: number | null;
  }>(
    `/* reports:stats-channel */ select channel, count(*) as received, count(outcome_at) as handled,
       count(*) filter (where outcome_at <= due_at) as within, ${MEDIAN_TO_OUTCOME} as median
     from reports where ${where} group by channel order by channel`,
    [range.from, range.to],
  );
  const categories = await db.query<{
    category: ReportCategory;
    actioned: string;
    no_action: string;
    open: string;
  }>(
    `/* reports:stats-category */ select category, count(*) filter (where status = 'actioned') as actioned,
       count(*) filter (where status = 'no-action') as no_action, count(*) filter (where outcome_at is null) as open
     from reports where ${where} group by category order by category`,
    [range.from, range.to],
  );
  const t = totals.rows[0];
  const received = Number(t?.received ?? 0);
  const within = Number(t?.within ?? 0);
  return {
    received,
    handled: Number(t?.handled ?? 0),
    handledWithinDeadline: within,
    shareHandledWithinDeadline: received === 0 ? 0 : within / received,
    medianSecondsToOutcome: secondsOrNull(t?.median),
    open: Number(t?.open ?? 0),
    overdue: Number(t?.overdue ?? 0),
    byChannel: channels.rows.map((c) => ({
      channel: c.channel,
      received: Number(c.received),
      handled: Number(c.handled),
      handledWithinDeadline: Number(c.within),
      medianSecondsToOutcome: secondsOrNull(c.median),
    })),
    byCategory: categories.rows.map((c) => ({
      category: c.category,
      actioned: Number(c.actioned),
      noAction: Number(c.no_action),
      open: Number(c.open),
    })),
  };
}
