import { appendAudit } from './audit.js';
import { withTransaction, type Pool } from './pool.js';

/**
 * The kinds of personal data with a retention period, each erased by its own rule:
 * - `report-text`: a report's description and where it was seen, `periodDays` after the report's outcome;
 * - `reporter-contact`: a reporter's sealed contact details, at their `delete_after` (the API's
 *   `REPORT_CONTACT_RETENTION_DAYS` after receipt), once the report has its outcome;
 * - `report-replay`: the sealed first answer (tracking code, request digest) kept for an Idempotency-Key, at the end
 *   of its window;
 * - `reported-url`: a reported URL (a report subject's URL and key, and their copies in its review case),
 *   `periodDays` after the subject settled, once every report naming it has its outcome and its case is closed;
 * - `observed-url`: a submission's URL (an ISP's traffic sample the fetcher fetched, a reported page or image),
 *   `periodDays` after it was received, once no open case and no unsettled report needs it.
 * Nothing of a report or submission under a legal hold is erased (see `REPORT_HELD`, `SUBMISSION_HELD`): a hold on
 * the report itself, or on evidence of its URLs. A report's replay is the API's idempotency memory, not what the
 * reporter said (its sealed first answer, the tracking code): it ends with its window, hold or not (the API takes an
 * expired key anew whether or not the pass deleted it).
 */
export const PersonalDataKinds = [
  'report-text',
  'reporter-contact',
  'report-replay',
  'reported-url',
  'observed-url',
] as const;
export type PersonalDataKind = (typeof PersonalDataKinds)[number];

export interface ErasureOptions {
  now: Date;
  /** The period of `report-text`, `reported-url` and `observed-url`, in days (the others carry their own end). */
  periodDays: number;
  /** Most rows one call erases (one transaction). */
  batchSize: number;
  /** The service that erases, named in the audit record. */
  by: string;
}

/**
 * A legal hold on the report itself (migration 0036) keeps all of its personal data; one reaches it through the
 * evidence of its reported URLs too: an authority's hold on any evidence item of a subject's case or submission, or
 * of an image its reported page shows, keeps the report's personal data (`r` is the report).
 */
const REPORT_HELD = `(r.hold_at is not null or exists (select 1 from report_urls hu
    join report_subjects hs on hs.id = hu.subject_id
    left join submissions hp on hp.id = hs.submission_id
    join evidence_items he on he.hold_at is not null
      and (he.case_id = hs.case_id or he.submission_id = hs.submission_id
        or he.submission_id = any(hp.embedded_submission_ids))
    where hu.report_id = r.id))`;

/**
 * The same for a submission (`s`): a hold on its evidence, on an image's it names (a crawled page), or on the
 * evidence of a case opened for it; or a hold on a report whose reported URL it fetched, or an image of whose reported
 * page it is (the addresses are the report's).
 */
const SUBMISSION_HELD = `(exists (select 1 from evidence_items he where he.hold_at is not null
    and (he.submission_id = s.id or he.submission_id = any(s.embedded_submission_ids)
      or he.case_id in (select hc.id from cases hc where hc.submission_id = s.id)))
  or exists (select 1 from report_subjects hs join report_urls hu on hu.subject_id = hs.id
    join reports hr on hr.id = hu.report_id left join submissions hp on hp.id = hs.submission_id
    where hr.hold_at is not null and (hs.submission_id = s.id or s.id = any(hp.embedded_submission_ids))))`;

interface KindRule {
  /** One statement that locks the due rows, erases them and answers their ids (`id`). */
  sql: string;
  args: (o: ErasureOptions) => unknown[];
  /** What else goes with the rows erased ($1: their ids, $2: now, stamped where a copy went), in one transaction. */
  copies?: string;
  /** The period as the audit record states it. */
  period: (periodDays: number) => string;
}

/** $1: now, $2: the batch, $3: the period in days. */
const nowBatchPeriod = (o: ErasureOptions) => [o.now, o.batchSize, o.periodDays];
const nowBatch = (o: ErasureOptions) => [o.now, o.batchSize];

const RULES: Record<PersonalDataKind, KindRule> = {
  'report-text': {
    sql: `/* actioner:erase-report-text */ with due as (select r.id from reports r
        where r.text_erased_at is null and r.outcome_at is not null
          and (r.description is not null or r.seen_where is not null)
          and r.outcome_at <= $1::timestamptz - make_interval(days => $3) and not ${REPORT_HELD}
        order by r.outcome_at, r.id limit $2 for update of r skip locked)
      update reports x set description = null, seen_where = null, text_erased_at = $1
      from due where x.id = due.id returning x.id::text as id`,
    args: nowBatchPeriod,
    // A case opened from reports keeps what its reporters said (`evidence.report.accounts`, `subjectReportContext`):
    // those words go once every report of the case's subject has lost its own (the accounts name no report); an
    // account that had words says when they went (`textErasedAt`), so the console tells it from one that had none.
    copies: `/* actioner:erase-report-text-copies */ update cases c set evidence = jsonb_set(c.evidence,
        '{report,accounts}', (select coalesce(jsonb_agg(case when a->>'seenWhere' is null
              and a->>'description' is null then a
            else a || jsonb_build_object('seenWhere', null, 'description', null, 'textErasedAt', $2::timestamptz)
          end), '[]')
          from jsonb_array_elements(c.evidence->'report'->'accounts') a))
      from report_subjects s
      where s.case_id = c.id and jsonb_typeof(c.evidence->'report'->'accounts') = 'array'
        and s.id in (select u.subject_id from report_urls u where u.report_id = any($1::uuid[]))
        and not exists (select 1 from report_urls ku join reports kr on kr.id = ku.report_id
          where ku.subject_id = s.id and (kr.description is not null or kr.seen_where is not null))`,
    period: (days) => `${days} days after the report's outcome`,
  },
  'reporter-contact': {
    sql: `/* actioner:erase-contact */ with due as (select c.report_id from report_contacts c
          join reports r on r.id = c.report_id
        where c.delete_after <= $1 and r.outcome_at is not null and not ${REPORT_HELD}
        order by c.delete_after, c.report_id limit $2 for update of c skip locked)
      delete from report_contacts x using due where x.report_id = due.report_id returning x.report_id::text as id`,
    args: nowBatch,
    period: () => "REPORT_CONTACT_RETENTION_DAYS after the report's receipt, once it has its outcome",
  },
  'report-replay': {
    sql: `/* actioner:erase-replay */ with due as (select tenant_id, idempotency_key from report_replays
        where expires_at <= $1 order by expires_at limit $2 for update skip locked)
      delete from report_replays x using due
      where x.tenant_id = due.tenant_id and x.idempotency_key = due.idempotency_key
      returning x.report_id::text as id`,
    args: nowBatch,
    period: () => 'the Idempotency-Key window',
  },
  'reported-url': {
    sql: `/* actioner:erase-reported-url */ with due as (select s.id from report_subjects s
        where s.url is not null and s.settled_at is not null
          and s.settled_at <= $1::timestamptz - make_interval(days => $3)
          and not exists (select 1 from cases oc where oc.id = s.case_id and oc.status = 'open')
          and not exists (select 1 from report_urls ou join reports r on r.id = ou.report_id
            where ou.subject_id = s.id and (r.outcome_at is null or ${REPORT_HELD}))
        order by s.settled_at, s.id limit $2 for update of s skip locked)
      update report_subjects x set url = null, url_key = null, url_erased_at = $1 from due where x.id = due.id
      returning x.id::text as id`,
    args: nowBatchPeriod,
    // The subject's own review case names the URL (`evidence.report.url`), a bare URL's case as its order subject
    // (`evidence.subject`; the case is closed, nothing is issued from it any more), a page's as its images' addresses;
    // `evidence.report.urlErasedAt` says when.
    copies: `/* actioner:erase-reported-url-copies */ update cases c
      set evidence = jsonb_set(c.evidence - 'subject', '{report}', (c.evidence->'report')
          || jsonb_build_object('url', null, 'urlErasedAt', $2::timestamptz))
        || case when jsonb_typeof(c.evidence->'embeddedImages') = 'array'
          then jsonb_build_object('embeddedImages', (select coalesce(jsonb_agg(i || '{"url": null}'::jsonb), '[]')
            from jsonb_array_elements(c.evidence->'embeddedImages') i))
          else '{}'::jsonb end
      from report_subjects s
      where s.case_id = c.id and s.id = any($1::uuid[]) and jsonb_typeof(c.evidence->'report') = 'object'
        and c.evidence->'report'->>'subjectId' = s.id::text`,
    period: (days) => `${days} days after the reported URL's outcome`,
  },
  'observed-url': {
    sql: `/* actioner:erase-observed-url */ with due as (select s.id from submissions s
        where s.url is not null and s.received_at <= $1::timestamptz - make_interval(days => $3)
          and not exists (select 1 from cases oc where oc.submission_id = s.id and oc.status = 'open')
          and not exists (select 1 from report_subjects os where os.submission_id = s.id and os.settled_at is null)
          and not ${SUBMISSION_HELD}
        order by s.received_at, s.id limit $2 for update of s skip locked)
      update submissions x set url = null, url_erased_at = $1 from due where x.id = due.id
      returning x.id::text as id`,
    args: nowBatchPeriod,
    period: (days) => `${days} days after receipt`,
  },
};

/**
 * Erases one batch of `kind` in one transaction: locks up to `batchSize` due rows (`for update skip locked`, so
 * several actioners share the work and none waits on a row another holds), erases them, and appends one audit
 * record saying what kind, how many, under which period and which rows (ids only, never what was erased).
 * Answers how many rows were erased (fewer than `batchSize`: nothing more is due now).
 */
export async function erasePersonalData(
  pool: Pool,
  kind: PersonalDataKind,
  o: ErasureOptions,
): Promise<number> {
  const rule = RULES[kind];
  return withTransaction(pool, async (c) => {
    const { rows } = await c.query<{ id: string }>(rule.sql, rule.args(o));
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id).sort();
    if (rule.copies !== undefined) await c.query(rule.copies, [ids, o.now]);
    await appendAudit(c, {
      actor: { kind: 'service', id: o.by },
      action: 'privacy.erased',
      subject: { type: 'personal-data', id: kind },
      evidence: {
        kind,
        erased: ids.length,
        period: rule.period(o.periodDays),
        // Reports' and submissions' ids (a replay's: its report's), never a client's key or what was erased.
        ids,
      },
    });
    return ids.length;
  });
}
