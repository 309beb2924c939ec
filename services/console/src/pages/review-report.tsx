import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { ErrorNote, useAction, useLoad } from '../ui/kit.js';
import { caseReasonText } from './case-reason.js';
import { categoryLabel, channelLabel } from './reports-labels.js';
import {
  pageImageOutcome,
  reportContextOf,
  type CaseReportContext,
  type PageImageOutcome,
  type PageImageSource,
} from './reports-model.js';
import { CaseFindings } from './review-findings.js';

/** What citizens said about a case's URL (a case opened from reports: `evidence.source` "report"). */
export function ReportContext(props: { context: CaseReportContext }) {
  const i18n = useI18n();
  const { t } = i18n;
  const c = props.context;
  const list = (values: string[], label: (v: string) => string) => values.map(label).join(', ') || '—';
  const imageStatus: Record<PageImageOutcome, string> = {
    matched: t('reviewReport.imageMatched'),
    scanned: t('reviewReport.imageScanned'),
    failed: t('reviewReport.imageFailed'),
    'not-scanned': t('reviewReport.imageNotScanned'),
  };
  const imageSource: Record<PageImageSource, string> = {
    img: t('reviewReport.sourceImg'),
    meta: t('reviewReport.sourceMeta'),
    css: t('reviewReport.sourceCss'),
    frame: t('reviewReport.sourceFrame'),
  };
  const anyMatched = c.images.some((image) => pageImageOutcome(image) === 'matched');
  // Erased at the end of its retention (the actioner's pass): said so, with when, rather than left blank.
  const erasedOn = (at: string) => t('report.erasedOn', { at: i18n.dateTime(at) });
  const erasedUrl = c.urlErasedAt === null ? t('report.urlErased') : erasedOn(c.urlErasedAt);
  return (
    <section class="notice" aria-labelledby="report-context-title" data-testid="report-context">
      <h3 id="report-context-title">{t('reviewReport.title')}</h3>
      <p class="subject">{c.url === '' ? erasedUrl : c.url}</p>
      <p>
        {t('reviewReport.summary', {
          count: c.reports,
          channels: list(c.channels, (v) => channelLabel(i18n, v)),
          categories: list(c.categories, (v) => categoryLabel(i18n, v)),
        })}
      </p>
      {c.accounts.length === 0 ? null : (
        <>
          <h4>{t('reviewReport.accounts')}</h4>
          <ol>
            {c.accounts.map((a, i) => (
              <li key={i}>
                <strong>
                  {t('reviewReport.account', {
                    channel: channelLabel(i18n, a.channel),
                    category: categoryLabel(i18n, a.category),
                  })}
                </strong>
                {a.seenWhere === null ? null : (
                  <p>
                    {t('report.seenWhere')}: {a.seenWhere}
                  </p>
                )}
                {a.description === null ? null : <p>{a.description}</p>}
                {a.textErasedAt === null ? null : <p>{erasedOn(a.textErasedAt)}</p>}
              </li>
            ))}
          </ol>
        </>
      )}
      {c.images.length === 0 ? null : (
        <>
          <h4>
            {t(anyMatched ? 'reviewReport.imagesMatched' : 'reviewReport.images', { count: c.images.length })}
          </h4>
          <ul data-testid="report-images">
            {c.images.map((image, i) => (
              <li key={i}>
                <span class="subject">{image.url ?? erasedUrl}</span> · {imageStatus[pageImageOutcome(image)]}
                {image.source === null ? null : ` · ${imageSource[image.source]}`}
              </li>
            ))}
          </ul>
          {c.imagesShown > c.images.length ? (
            <p data-testid="report-images-unscanned">
              {t('reviewReport.imagesUnscanned', { count: c.imagesShown - c.images.length })}
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

const readCase = (id: string) => ok(api.GET('/v1/cases/{id}', { params: { path: { id } } }));

/**
 * What a case's detail says beside its media: a withheld takedown, frames and hits (`CaseFindings`), and the report
 * context (nothing when the case did not come from reports).
 */
export function CaseDetails(props: { caseId: string }) {
  const detail = useLoad(() => readCase(props.caseId), [props.caseId]);
  const context = detail.data === null ? null : reportContextOf(detail.data.evidence);
  return (
    <>
      <ErrorNote error={detail.error} />
      {detail.data === null ? null : <CaseFindings detail={detail.data} />}
      {context === null ? null : <ReportContext context={context} />}
    </>
  );
}

/**
 * The case a link named (`review?case=<id>`, from the reports page or the queue): its reason, state, findings and
 * report context, and a claim while it waits (never for a confirmation case, which closes through its orders).
 */
export function SelectedCase(props: {
  caseId: string;
  onClaim: (id: string) => Promise<void>;
  busy: boolean;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const detail = useLoad(() => readCase(props.caseId), [props.caseId]);
  const claim = useAction(() => props.onClaim(props.caseId));
  const d = detail.data;
  const context = d === null ? null : reportContextOf(d.evidence);
  return (
    <section class="case" aria-labelledby="selected-case-title" data-testid="selected-case">
      <h2 id="selected-case-title">{t(context === null ? 'caseFindings.shown' : 'reviewReport.selected')}</h2>
      <ErrorNote error={detail.error ?? claim.error} />
      {d === null ? null : (
        <>
          <p>
            <span data-testid="case-reason">
              {t('review.case', { reason: caseReasonText(i18n, d.case) })}
            </span>{' '}
            ·{' '}
            {t(
              d.case.stage === 'claimed'
                ? 'review.claimed'
                : d.case.stage === 'open'
                  ? 'review.open'
                  : 'reviewReport.decided',
            )}
          </p>
          <CaseFindings detail={d} />
          {context === null ? null : <ReportContext context={context} />}
          {d.case.stage === 'open' && d.case.kind !== 'confirm' ? (
            <p>
              <button type="button" disabled={props.busy || claim.busy} onClick={() => void claim.run()}>
                {t('review.claim')}
              </button>
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}
