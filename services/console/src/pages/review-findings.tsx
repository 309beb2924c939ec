import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { useFullSession } from '../session.js';
import { RecordTable } from '../ui/records.js';

/** A case as `GET /v1/cases/:id` answers it. */
export type CaseDetail = Answer<'/v1/cases/{id}', 'get'>;
type CaseHit = CaseDetail['hits'][number];
type Frames = NonNullable<CaseDetail['frames']>;
type ClassifierFrames = NonNullable<CaseDetail['classifierFrames']>;
type Withheld = NonNullable<CaseDetail['takedownWithheld']>;

/** Where a hit matched, in words: its frame (counted from 1, as a person counts) of the file's, or the whole file. */
function useWhere() {
  const { t } = useI18n();
  return (hit: CaseHit, frames: Frames | null) =>
    hit.frame === null
      ? t('caseFindings.wholeFile')
      : frames === null
        ? t('caseFindings.frame', { frame: hit.frame + 1 })
        : t('caseFindings.frameOf', { frame: hit.frame + 1, count: frames.count });
}

/** The case's hits: bank, hash type, distance, category, the frame matched, and what the bank's policy does. */
function Hits(props: { hits: readonly CaseHit[]; frames: Frames | null }) {
  const i18n = useI18n();
  const { t } = i18n;
  const where = useWhere();
  const policy = (h: CaseHit) =>
    h.negative
      ? t('caseFindings.negative')
      : h.actionPolicy === 'automatic'
        ? t('caseFindings.automatic')
        : h.actionPolicy === 'review'
          ? t('caseFindings.review')
          : '—';
  return (
    <RecordTable
      caption={t('caseFindings.hits', { count: props.hits.length })}
      captionShown
      columns={[
        'caseFindings.bank',
        'caseFindings.signal',
        'caseFindings.distance',
        'caseFindings.category',
        'caseFindings.where',
        'caseFindings.policy',
      ]}
      testId="case-hits"
    >
      {props.hits.map((h, i) => (
        <tr key={i}>
          <th scope="row">{h.bankName ?? h.bankId ?? '—'}</th>
          <td>{h.signal ?? '—'}</td>
          <td>{h.distance === null ? '—' : i18n.number(h.distance)}</td>
          <td>{h.category ?? '—'}</td>
          <td data-testid="hit-where">{where(h, props.frames)}</td>
          <td>{policy(h)}</td>
        </tr>
      ))}
    </RecordTable>
  );
}

/** How many frames of a multi-frame file were examined, and a warning when some were not. */
function FramesExamined(props: { frames: Frames }) {
  const { t } = useI18n();
  const f = props.frames;
  const unexamined = f.count - f.examined;
  return (
    <>
      <p data-testid="case-frames">
        {t('caseFindings.framesExamined', { examined: f.examined, count: f.count, hashed: f.hashed })}
      </p>
      {unexamined <= 0 ? null : (
        <p class="notice notice-warn" role="note" data-testid="case-frames-unexamined">
          {t('caseFindings.framesUnexamined', { unexamined, from: f.examined + 1, count: f.count })}
        </p>
      )}
    </>
  );
}

/**
 * The frames of a multi-frame file the classifier scored, the one of the highest risk (the case's score; counted
 * from 1, as a person counts), and a warning when some were not scored, with why.
 */
function FramesScored(props: { frames: ClassifierFrames }) {
  const { t } = useI18n();
  const f = props.frames;
  const unexamined = f.count - f.examined;
  return (
    <>
      <p data-testid="case-frames-scored">
        {t('caseFindings.framesScored', {
          scored: f.scored,
          examined: f.examined,
          count: f.count,
          frame: f.riskFrame + 1,
        })}
      </p>
      {unexamined <= 0 ? null : (
        <p class="notice notice-warn" role="note" data-testid="case-frames-unscored">
          {t('caseFindings.framesUnscored', {
            unexamined,
            from: f.examined + 1,
            count: f.count,
            why: f.unexamined ?? 'frame-limit',
          })}
        </p>
      )}
    </>
  );
}

/** The takedown policy withheld: to whom it would have gone, why, and what a person may do about it. */
function WithheldTakedown(props: { withheld: Withheld }) {
  const { t } = useI18n();
  const role = useFullSession().person.role;
  const w = props.withheld;
  return (
    <section class="notice notice-warn" aria-labelledby="withheld-title" data-testid="takedown-withheld">
      <h3 id="withheld-title">{t('caseFindings.withheldTitle')}</h3>
      <p>
        {t('caseFindings.withheld', {
          platform: w.platformTenantId,
          host: w.host,
          submitter: w.submitterTenantId,
        })}
      </p>
      {w.url === null ? null : (
        <p>
          {t('caseFindings.withheldUrl')}: <span class="subject">{w.url}</span>
        </p>
      )}
      <p>{t('caseFindings.withheldAct', { platform: w.platformTenantId })}</p>
      {/* Authorities and admins issue orders by hand; the API decides again when they do. */}
      {role === 'authority' || role === 'admin' ? (
        <p>
          <Link to="desk/new">{t('caseFindings.issueByHand')}</Link>
        </p>
      ) : null}
    </section>
  );
}

/**
 * What the case's evidence says a person must see before deciding: a takedown withheld, the frames of a multi-frame
 * file examined (and those not), the frame the classifier found the highest risk on (and frames it did not score),
 * and each hit with the frame it matched on.
 */
export function CaseFindings(props: { detail: CaseDetail }) {
  const { hits, frames, classifierFrames, takedownWithheld } = props.detail;
  return (
    <div data-testid="case-findings">
      {takedownWithheld === null ? null : <WithheldTakedown withheld={takedownWithheld} />}
      {frames === null ? null : <FramesExamined frames={frames} />}
      {classifierFrames === null ? null : <FramesScored frames={classifierFrames} />}
      {hits.length === 0 ? null : <Hits hits={hits} frames={frames} />}
    </div>
  );
}
