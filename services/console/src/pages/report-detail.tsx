import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { useFullSession } from '../session.js';
import { clockText, CountdownText } from '../ui/countdown.js';
import { ErrorNote, LoadStatus, Page, useAction, useLoad, useNow, type LoadState } from '../ui/kit.js';
import { Facts, TitledTable, type Fact } from '../ui/records.js';
import { mayHoldReports, ReportHold } from './report-hold.js';
import { mayReferReports, ReportReferrals } from './report-referrals.js';
import {
  categoryLabel,
  channelLabel,
  ownerLabel,
  reportStatusLabel,
  stepLabel,
  subjectStatusLabel,
} from './reports-labels.js';
import { reportDeadline, type ReportDeadline, type ReportDetail } from './reports-model.js';

/** A report's deadline as text: time left, overdue by, or settled in time or late. */
export function ReportCountdown(props: { state: ReportDeadline }) {
  const i18n = useI18n();
  const s = props.state;
  const text =
    s.kind !== 'done'
      ? clockText(i18n, s)
      : s.lateMs === null
        ? i18n.t('reports.doneInTime')
        : i18n.t('reports.doneLate', { time: i18n.duration(s.lateMs) });
  const kind = s.kind === 'done' ? (s.lateMs === null ? 'done' : 'overdue') : s.kind;
  return <CountdownText state={kind} text={text} testId="report-countdown" />;
}

type Contact = Awaited<ReturnType<typeof readContact>>;
const readContact = (id: string) => ok(api.GET('/v1/reports/{id}/contact', { params: { path: { id } } }));

/** The reporter's contact details: the hotline alone, on request; the API records every read in the audit log. */
function ContactDetails(props: { reportId: string; hasContact: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [contact, setContact] = useState<Contact | null>(null);
  const show = useAction(async () => setContact(await readContact(props.reportId)));
  const yesNo = (v: boolean) => t(v ? 'common.yes' : 'common.no');
  return (
    <section aria-labelledby="contact-title" class="case">
      <h2 id="contact-title">{t('contact.title')}</h2>
      {!props.hasContact ? (
        <p>{t('contact.none')}</p>
      ) : contact === null ? (
        <>
          <p class="hint" id="contact-audited">
            {t('contact.audited')}
          </p>
          <button
            type="button"
            aria-describedby="contact-audited"
            disabled={show.busy}
            onClick={() => void show.run()}
          >
            {t('contact.show')}
          </button>
          <ErrorNote error={show.error} />
        </>
      ) : (
        <>
          <p class="notice" role="status">
            {t('contact.read')}
          </p>
          <Facts
            testId="report-contact"
            facts={[
              { label: t('contact.name'), value: contact.name ?? '—' },
              { label: t('contact.phone'), value: contact.phone ?? '—' },
              { label: t('contact.email'), value: contact.email ?? '—' },
              { label: t('contact.consentContact'), value: yesNo(contact.consents.contact) },
              { label: t('contact.consentFollowUp'), value: yesNo(contact.consents.followUp) },
            ]}
          />
        </>
      )}
    </section>
  );
}

type I18n = ReturnType<typeof useI18n>;

/** The report's deadline counting down, every second. */
function DueCountdown(props: { report: Pick<ReportDetail['report'], 'dueAt' | 'outcomeAt'> }) {
  const now = useNow(1000);
  return <ReportCountdown state={reportDeadline(props.report, now)} />;
}
type Subject = { url: string | null; urlErasedAt: string | null };
type Shown = Pick<
  ReportDetail['report'],
  | 'channel'
  | 'category'
  | 'receivedAt'
  | 'dueAt'
  | 'outcomeAt'
  | 'outcomeReason'
  | 'seenWhere'
  | 'description'
  | 'language'
  | 'textErasedAt'
  | 'status'
  | 'overdue'
>;

/** A subject's URL, or when it was erased at the end of its retention (never as if none was reported). */
export const subjectUrlText = (i18n: I18n, s: Subject) =>
  s.url ??
  (s.urlErasedAt === null
    ? i18n.t('report.urlErased')
    : i18n.t('report.erasedOn', { at: i18n.dateTime(s.urlErasedAt) }));

/**
 * What a report says and where it stands, as every reader of it sees it (operators, the authority it is referred
 * to): channel, category, times and deadline, outcome, the reporter's words. Erased at the end of its retention:
 * said so, with when, rather than as if the reporter wrote nothing.
 */
export function reportContentFacts(i18n: I18n, r: Shown): Fact[] {
  const { t } = i18n;
  const erasedText =
    r.textErasedAt === null ? '—' : t('report.erasedOn', { at: i18n.dateTime(r.textErasedAt) });
  return [
    { label: t('report.channel'), value: channelLabel(i18n, r.channel) },
    { label: t('report.category'), value: categoryLabel(i18n, r.category) },
    { label: t('report.receivedAt'), value: i18n.dateTime(r.receivedAt) },
    {
      label: t('report.dueAt'),
      value: (
        <>
          {i18n.dateTime(r.dueAt)} <DueCountdown report={r} />
        </>
      ),
    },
    { label: t('report.outcomeAt'), value: i18n.dateTime(r.outcomeAt) },
    { label: t('report.outcomeReason'), value: r.outcomeReason ?? '—', testId: 'report-outcome' },
    { label: t('report.seenWhere'), value: r.seenWhere ?? erasedText },
    { label: t('report.description'), value: r.description ?? erasedText },
    { label: t('report.language'), value: r.language === 'vi' ? 'Tiếng Việt' : 'English' },
  ];
}

/** A report's page: its title, the way back to the list, and how its loading went. */
export function ReportFrame(props: { title: string; load: LoadState<unknown>; children: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <Page
      title={props.title}
      actions={
        <Link class="button" to="reports">
          {t('report.back')}
        </Link>
      }
    >
      <LoadStatus loads={[props.load]} />
      {props.children}
    </Page>
  );
}

/** One report, as operators read it: its facts, its addresses with their cases and orders, every step with its owner, the outcome. */
export function OperatorReportPage(props: { id: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const person = useFullSession().person;
  const role = person.role;
  const loaded = useLoad(
    () => ok(api.GET('/v1/reports/{id}', { params: { path: { id: props.id } } })),
    [props.id],
  );
  const d = loaded.data;
  const r = d?.report;
  // A named person takes responsibility for the report (the API records the step and audits it).
  const take = useAction(async () => {
    await ok(api.POST('/v1/reports/{id}/owner', { params: { path: { id: props.id } } }));
    loaded.reload();
  });
  const subjectUrl = (subject: Subject) => subjectUrlText(i18n, subject);
  const urlOf = (subjectId: string | null) => {
    if (subjectId === null) return '—';
    const subject = r?.subjects.find((s) => s.id === subjectId);
    return subject === undefined ? subjectId : subjectUrl(subject);
  };
  return (
    <ReportFrame title={t('report.title')} load={loaded}>
      {d === null || r === undefined ? null : (
        <>
          <Facts
            testId="report-facts"
            facts={[
              {
                label: t('report.status'),
                value: reportStatusLabel(i18n, r.status),
                testId: 'report-status',
              },
              {
                label: t('report.responsible'),
                value: (
                  <>
                    {r.ownerName ?? r.ownerPersonId ?? t('report.nobody')}{' '}
                    {/* Once handled, whoever was responsible then stays named (the API refuses a taker). */}
                    {r.ownerPersonId === person.id || r.outcomeAt !== null ? null : (
                      <button type="button" disabled={take.busy} onClick={() => void take.run()}>
                        {t('report.take')}
                      </button>
                    )}
                    <ErrorNote error={take.error} />
                  </>
                ),
                testId: 'report-responsible',
              },
              ...reportContentFacts(i18n, r),
            ]}
          />
          <TitledTable
            title={t('report.subjects')}
            columns={[
              'report.url',
              'report.subjectStatus',
              'report.folded',
              'report.case',
              'report.orders',
              'report.outcomeReason',
            ]}
            testId="report-subjects"
          >
            {r.subjects.map((s) => (
              <tr key={s.id} data-subject-id={s.id}>
                <th scope="row" class="subject">
                  {subjectUrl(s)}
                </th>
                <td>{subjectStatusLabel(i18n, s.status)}</td>
                <td>{s.reports === null ? '—' : i18n.number(s.reports)}</td>
                <td>
                  {s.caseId === null ? (
                    '—'
                  ) : (
                    <Link to={`review?case=${s.caseId}`}>{t('report.openCase')}</Link>
                  )}
                </td>
                <td>
                  {s.orderIds.length === 0
                    ? '—'
                    : s.orderIds.map((o, i) => (
                        <span key={o}>
                          {i === 0 ? null : ', '}
                          <Link to={`desk/orders/${o}`}>{t('report.order', { n: i + 1 })}</Link>
                        </span>
                      ))}
                </td>
                <td>{s.outcomeReason ?? '—'}</td>
              </tr>
            ))}
          </TitledTable>
          <TitledTable
            title={t('report.steps')}
            caption={t('report.stepsCaption')}
            columns={['report.at', 'report.step', 'report.owner', 'report.subject', 'report.note']}
            testId="report-steps"
          >
            {d.steps.map((s, i) => (
              <tr key={i} data-step={s.step}>
                <td>{i18n.dateTime(s.at)}</td>
                <th scope="row">{stepLabel(i18n, s.step)}</th>
                <td data-testid="step-owner">{ownerLabel(i18n, s)}</td>
                <td class="subject">{urlOf(s.subjectId)}</td>
                <td>{s.note ?? '—'}</td>
              </tr>
            ))}
          </TitledTable>
          <ReportReferrals reportId={r.id} canChange={mayReferReports(role)} />
          <ReportHold
            reportId={r.id}
            hold={r.legalHold}
            canChange={mayHoldReports(role)}
            onChanged={loaded.reload}
          />
          {role === 'hotline' ? <ContactDetails reportId={r.id} hasContact={r.hasContact} /> : null}
        </>
      )}
    </ReportFrame>
  );
}
