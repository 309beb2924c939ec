import { api, ApiFailure, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { useLoad } from '../ui/kit.js';
import { Facts, TitledTable } from '../ui/records.js';
import { ReportFrame, reportContentFacts, subjectUrlText } from './report-detail.js';
import { HeldReportView, loadHeldReport } from './held-report.js';
import { ReportHold } from './report-hold.js';
import { reportStatusLabel, subjectStatusLabel } from './reports-labels.js';

/**
 * The report as the authority may read it: referred to it, or else (404) its own hold on it alone when it holds it
 * no longer referred; neither: the 404 stands.
 */
async function loadForAuthority(id: string) {
  try {
    return {
      referred: await ok(api.GET('/v1/referred-reports/{id}', { params: { path: { id } } })),
      held: null,
    };
  } catch (err) {
    if (!(err instanceof ApiFailure && err.status === 404)) throw err;
    const held = await loadHeldReport(id);
    if (held === null) throw err;
    return { referred: null, held };
  }
}

/**
 * A report referred to the signed-in authority's tenant (`GET /v1/referred-reports/:id`; another authority's
 * answers 404): what it says and where it stands, its addresses, the referral (who, when, why), and the legal-hold
 * form for its own authority. The reporter's contact details are the hotline's alone: the page says whom to ask.
 * A report it holds no longer referred to it shows the hold alone, to release it (`HeldReportView`).
 */
export function ReferredReportPage(props: { id: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const loaded = useLoad(() => loadForAuthority(props.id), [props.id]);
  const held = loaded.data?.held ?? null;
  const d = loaded.data?.referred ?? null;
  return (
    <ReportFrame title={t(held === null ? 'referred.title' : 'held.title')} load={loaded}>
      {held === null ? null : <HeldReportView held={held} />}
      {d === null ? null : (
        <>
          <Facts
            testId="report-facts"
            facts={[
              {
                label: t('report.status'),
                value: reportStatusLabel(i18n, d.report.status),
                testId: 'report-status',
              },
              ...reportContentFacts(i18n, d.report),
            ]}
          />
          <section aria-labelledby="referral-title" class="case">
            <h2 id="referral-title">{t('referred.referral')}</h2>
            <Facts
              testId="referral-facts"
              facts={[
                { label: t('referrals.authority'), value: d.referral.authorityName },
                { label: t('referrals.by'), value: d.referral.referredByName ?? d.referral.referredBy },
                { label: t('referrals.at'), value: i18n.dateTime(d.referral.referredAt) },
                { label: t('referrals.reason'), value: d.referral.reason, testId: 'referral-reason' },
              ]}
            />
          </section>
          <TitledTable
            title={t('report.subjects')}
            columns={['report.url', 'report.subjectStatus', 'report.outcomeReason']}
            testId="report-subjects"
          >
            {d.report.subjects.map((s) => (
              <tr key={s.id} data-subject-id={s.id}>
                <th scope="row" class="subject">
                  {subjectUrlText(i18n, s)}
                </th>
                <td>{subjectStatusLabel(i18n, s.status)}</td>
                <td>{s.outcomeReason ?? '—'}</td>
              </tr>
            ))}
          </TitledTable>
          <ReportHold reportId={d.report.id} hold={d.report.legalHold} canChange onChanged={loaded.reload} />
          <section aria-labelledby="contact-title" class="case">
            <h2 id="contact-title">{t('contact.title')}</h2>
            <p data-testid="referred-contact">
              {t(d.report.hasContact ? 'referred.contact' : 'referred.noContact')}
            </p>
          </section>
        </>
      )}
    </ReportFrame>
  );
}
