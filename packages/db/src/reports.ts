import { randomUUID } from 'node:crypto';
import type { Queryable } from './pool.js';

/** Where a report came from: the public web form, the 111 hotline's call centre, a platform operator. */
export const ReportChannels = ['web', 'hotline', 'platform'] as const;
export type ReportChannel = (typeof ReportChannels)[number];
export const ReportCategories = ['csam', 'grooming', 'sextortion', 'self-generated', 'other'] as const;
export type ReportCategory = (typeof ReportCategories)[number];
/** Coarse progress, the only thing a reporter is ever shown. */
export const ReportStatuses = ['received', 'assessing', 'actioned', 'no-action'] as const;
export type ReportStatus = (typeof ReportStatuses)[number];
export type SubjectStatus = 'routing' | 'case' | 'actioned' | 'no-action';

/** The tenant web reports (their submissions and cases) belong to (migration 0021). */
export const PUBLIC_REPORTS_TENANT = 'public-reports';
/** Owner of a step no person holds: the pipeline routing a URL. */
export const PIPELINE_OWNER = 'system:pipeline';

export interface ReportContactInput {
  sealed: Buffer;
  keyId: string;
  consents: { contact: boolean; followUp: boolean };
  deleteAfter: Date;
}

/** What a report says and who filed it, as filed and as operators read it. */
export interface ReportFields {
  channel: ReportChannel;
  tenantId: string;
  /** The credential or person that filed it; null for the web form. */
  filedBy: string | null;
  category: ReportCategory;
  seenWhere: string | null;
  description: string | null;
  language: 'vi' | 'en';
}

export interface ReportInput extends ReportFields {
  id?: string;
  trackingSha256: string;
  /** Normalised, distinct URLs (`href`, and `key` that open subjects fold on), at most 20. */
  urls: readonly { href: string; key: string }[];
  receivedAt: Date;
  dueAt: Date;
  contact: ReportContactInput | null;
}

/** A subject a report joined: opened by it (`created`, to be routed with `eventId`) or an open one of its URL. */
export interface ReportSubjectLink {
  id: string;
  url: string;
  eventId: string;
  tenantId: string;
  created: boolean;
}

/** Makes the public form's tenant the first time a report of it is filed (in the caller's transaction). */
export async function ensurePublicReportsTenant(db: Queryable): Promise<void> {
  await db.query(
    `/* reports:public-tenant */ insert into tenants (id, kind, name) values ($1, 'hotline', $2)
     on conflict (id) do nothing`,
    [PUBLIC_REPORTS_TENANT, "Báo cáo của người dân / Citizens' reports"],
  );
}

/**
 * Files a report in the caller's transaction: the report, its URLs folded into the open subject of each URL (or
 * a new subject, which the caller routes with its `eventId` in the same transaction), the first steps, and the
 * sealed contact. Returns the report's id and its subjects.
 */
export async function fileReport(
  db: Queryable,
  r: ReportInput,
): Promise<{ id: string; subjects: ReportSubjectLink[] }> {
  const id = r.id ?? randomUUID();
  if (r.tenantId === PUBLIC_REPORTS_TENANT) await ensurePublicReportsTenant(db);
  await db.query(
    `/* reports:file */ insert into reports (id, tracking_sha256, channel, tenant_id, filed_by, category, seen_where,
       description, language, received_at, due_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      id,
      r.trackingSha256,
      r.channel,
      r.tenantId,
      r.filedBy,
      r.category,
      r.seenWhere,
      r.description,
      r.language,
      r.receivedAt,
      r.dueAt,
    ],
  );
  await addStep(db, {
    reportId: id,
    at: r.receivedAt,
    step: 'received',
    owner: r.filedBy ?? `public:${r.channel}`,
  });
  const subjects: ReportSubjectLink[] = [];
  for (const [position, url] of r.urls.entries()) {
    const subject = await openOrJoinSubject(db, url, r.tenantId, r.receivedAt);
    subjects.push(subject);
    await db.query(
      `/* reports:url */ insert into report_urls (report_id, position, subject_id) values ($1, $2, $3)`,
      [id, position, subject.id],
    );
    await addStep(db, {
      reportId: id,
      subjectId: subject.id,
      at: r.receivedAt,
      step: subject.created ? 'routed' : 'folded',
      owner: PIPELINE_OWNER,
    });
  }
  if (r.contact !== null)
    await db.query(
      `/* reports:contact */ insert into report_contacts (report_id, sealed, key_id, consents, delete_after)
       values ($1, $2, $3, $4, $5)`,
      [id, r.contact.sealed, r.contact.keyId, JSON.stringify(r.contact.consents), r.contact.deleteAfter],
    );
  await refreshReports(db, { reportIds: [id] }, r.receivedAt);
  return { id, subjects };
}

interface SubjectRow {
  id: string;
  url: string;
  event_id: string;
  tenant_id: string;
}
const linkOf = (r: SubjectRow, created: boolean): ReportSubjectLink => ({
  id: r.id,
  url: r.url,
  eventId: r.event_id,
  tenantId: r.tenant_id,
  created,
});

/**
 * The open subject of a URL, or a new one. Two reports of one URL filed at once: the second's insert waits for
 * the first's transaction and then finds its subject (read committed: each statement sees what committed).
 */
async function openOrJoinSubject(
  db: Queryable,
  url: { href: string; key: string },
  tenantId: string,
  at: Date,
): Promise<ReportSubjectLink> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await db.query<Omit<SubjectRow, 'url'>>(
      `/* reports:open-subject */ insert into report_subjects (id, url, url_key, tenant_id, event_id, routed_at, owner,
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $6)
       on conflict (text_key(url_key)) where settled_at is null do nothing returning id, event_id, tenant_id`,
      [randomUUID(), url.href, url.key, tenantId, randomUUID(), at, PIPELINE_OWNER],
    );
    const created = rows[0];
    if (created !== undefined) return linkOf({ ...created, url: url.href }, true);
    const open = await db.query<SubjectRow>(
      `/* reports:join-subject */ select id, url, event_id, tenant_id from report_subjects
       where text_key(url_key) = text_key($1) and url_key = $1 and settled_at is null`,
      [url.key],
    );
    const joined = open.rows[0];
    if (joined !== undefined) return linkOf(joined, false);
    // Settled between the two statements: open a new one.
  }
  throw new Error(`could not open or join the subject of ${url.key}`);
}

export async function addStep(
  db: Queryable,
  s: { reportId?: string; subjectId?: string; at: Date; step: string; owner: string; note?: string | null },
): Promise<void> {
  await db.query(
    `/* reports:step */ insert into report_steps (report_id, subject_id, at, step, owner, note)
     values ($1, $2, $3, $4, $5, $6)`,
    [s.reportId ?? null, s.subjectId ?? null, s.at, s.step, s.owner, s.note ?? null],
  );
}

/**
 * Recomputes the status of reports (those given, or those of the given subjects) from their subjects: all settled
 * → actioned when any was actioned, else no action possible (with the subjects' reasons); any with a case →
 * being assessed; else received. Outcome time: when the last subject settled.
 */
export async function refreshReports(
  db: Queryable,
  which: { reportIds?: readonly string[]; subjectIds?: readonly string[] },
  at: Date,
): Promise<void> {
  await db.query(
    `/* reports:refresh */ with targets as (
       select id from reports where id = any($1::uuid[])
       union select report_id from report_urls where subject_id = any($2::uuid[])),
     agg as (
       select u.report_id,
         bool_and(s.settled_at is not null) as settled,
         bool_or(s.status = 'actioned') as actioned,
         bool_or(s.status = 'case') as in_case,
         max(s.settled_at) as last_settled,
         string_agg(distinct s.outcome_reason, '; ') as reasons
       from report_urls u join report_subjects s on s.id = u.subject_id
       where u.report_id in (select id from targets) group by u.report_id)
     update reports r set
       status = case when a.settled then (case when a.actioned then 'actioned' else 'no-action' end)
                     when a.in_case then 'assessing' else 'received' end,
       outcome_at = case when a.settled then coalesce(a.last_settled, $3) end,
       outcome_reason = case when a.settled then left(a.reasons, 8000) end
     from agg a where a.report_id = r.id
       and (r.status, r.outcome_at) is distinct from (
         case when a.settled then (case when a.actioned then 'actioned' else 'no-action' end)
              when a.in_case then 'assessing' else 'received' end,
         case when a.settled then coalesce(a.last_settled, $3) end)`,
    [which.reportIds ?? [], which.subjectIds ?? [], at],
  );
}

/**
 * SQL: whether subject `s` moved on (a step of its own, not a report's) since report `r` was filed. A report that
 * folded into a subject another report opened is told of it only from then on.
 */
export const SUBJECT_MOVED_SINCE_FILED = `exists (select 1 from report_steps st
  where st.subject_id = s.id and st.report_id is null and st.at >= r.received_at)`;

/**
 * What a reporter may see: the coarse status only, and nothing of other reports. A report that folded into a subject
 * another report took into review already is "received" until that subject moves on after it (a claim, an
 * escalation, an outcome), as a report of a URL nobody reported is: "being assessed" the moment it is filed would
 * tell anyone who files a report that others reported the URL before them.
 *
 * Nor is an outcome told before the report's deadline (`due_at`, `now` before it): a URL a list already holds (or
 * known media behind it) is settled by the pipeline seconds after the report, so "action taken" a minute after
 * filing told anyone whether a URL, or a re-encoded copy of known media put behind one, was already known: a free
 * oracle for testing evasions. Until then a settled report reads "being assessed" when a person took one of its
 * subjects into review since it was filed (a case opened), else "received"; from the deadline on, its outcome.
 * `now` null: the outcome at once (`REPORT_STATUS_EARLY_OUTCOME`).
 */
export async function reportStatusByTracking(
  db: Queryable,
  trackingSha256: string,
  now: Date | null,
): Promise<{ status: ReportStatus; receivedAt: Date; outcomeAt: Date | null } | null> {
  const { rows } = await db.query<{ status: ReportStatus; received_at: Date; outcome_at: Date | null }>(
    `/* reports:status */ select case
         when r.status in ('actioned', 'no-action') and r.due_at > $2::timestamptz then
           case when exists (select 1 from report_urls u join report_steps st on st.subject_id = u.subject_id
             where u.report_id = r.id and st.report_id is null and st.step = 'case-opened'
               and st.at >= r.received_at) then 'assessing' else 'received' end
         when r.status = 'assessing' and not exists (
           select 1 from report_urls u join report_subjects s on s.id = u.subject_id
           where u.report_id = r.id and s.status = 'case' and ${SUBJECT_MOVED_SINCE_FILED})
         then 'received' else r.status end as status, r.received_at,
       case when r.due_at > $2::timestamptz then null else r.outcome_at end as outcome_at
     from reports r where r.tracking_sha256 = $1`,
    [trackingSha256, now],
  );
  const r = rows[0];
  return r === undefined ? null : { status: r.status, receivedAt: r.received_at, outcomeAt: r.outcome_at };
}

/**
 * A named person takes responsibility for a report (the step `assigned`, owned by them): whoever held it before
 * hands it over, while the report is being handled. Answers false when there is no such report, or when its
 * outcome is recorded already (whoever was responsible then stays named on it).
 */
export async function assignReportOwner(
  db: Queryable,
  a: { reportId: string; personId: string; at: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* reports:assign */ update reports set owner_person_id = $2 where id = $1 and outcome_at is null`,
    [a.reportId, a.personId],
  );
  if (rowCount !== 1) return false;
  await addStep(db, { reportId: a.reportId, at: a.at, step: 'assigned', owner: a.personId });
  return true;
}
