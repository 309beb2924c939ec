import type { ComponentChildren, ComponentType } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { setApiLanguage } from './api/client.js';
import type { PersonRole, Session } from './api/types.js';
import { DEFAULT_TIME_ZONE, I18nProvider, Languages, useI18n, type Language } from './i18n/locale.js';
import type { MessageKey } from './i18n/vi.js';
import { AdminPage } from './pages/admin.js';
import { AuditPage } from './pages/audit.js';
import { CurationPage } from './pages/curation.js';
import { DeskPage } from './pages/desk.js';
import { OrderPage } from './pages/order.js';
import { IssueOrderPage } from './pages/order-issue.js';
import { ReviewPage } from './pages/review.js';
import { ReviewExposurePage } from './pages/review-exposure.js';
import { ChangePasswordPage, EnrolTotpPage, SignInPage } from './pages/sign-in.js';
import { Link, navigate, useRoute } from './router.js';
import { SessionProvider, useSession } from './session.js';
import { Choice, CodeChoice } from './ui/form.js';
import { describeError, ErrorNote, Loading, Page, useAction } from './ui/kit.js';

/**
 * The statistics and reports pages and their chart library (uPlot, the largest part of the bundle) load when first
 * opened, as chunks of their own from this origin: the other pages do not wait for them.
 */
function Lazy(props: { load: () => Promise<ComponentType> }) {
  const [page, setPage] = useState<{ Page: ComponentType } | null>(null);
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    props.load().then(
      (Page) => setPage({ Page }),
      (err: unknown) => setFailed(err),
    );
  }, []);
  if (failed !== null) return <ErrorNote error={failed} />;
  return page === null ? <Loading /> : <page.Page />;
}

const loadStats = () => import('./pages/stats.js').then((m) => m.StatsPage);
const loadReports = () => import('./pages/reports.js').then((m) => m.ReportsPage);
const loadReport = (id: string) =>
  import('./pages/reports.js').then((m) => {
    const { ReportPage } = m;
    return () => <ReportPage id={id} />;
  });

/** The console's sections and who works in them (the API decides what each may do; this only shapes the menu). */
const SECTIONS: readonly {
  path: string;
  label: MessageKey;
  roles: readonly PersonRole[];
  /** Not for an authority tenant's reviewer: citizens' reports are for oversight reviewers (the API answers 403). */
  oversightReviewers?: true;
}[] = [
  { path: 'desk', label: 'nav.desk', roles: ['authority', 'reviewer', 'admin'] },
  { path: 'stats', label: 'nav.stats', roles: ['authority', 'reviewer', 'admin'] },
  { path: 'review', label: 'nav.review', roles: ['reviewer', 'authority', 'admin'] },
  {
    path: 'reports',
    label: 'nav.reports',
    roles: ['hotline', 'reviewer', 'admin', 'authority'],
    oversightReviewers: true,
  },
  { path: 'audit', label: 'nav.audit', roles: ['authority', 'admin'] },
  { path: 'curation', label: 'nav.curation', roles: ['curator', 'admin'] },
  { path: 'admin', label: 'nav.admin', roles: ['admin'] },
];

/** The sections of a person: of their role, and no citizens' reports to a reviewer of an authority tenant. */
const sectionsOf = (person: Pick<Session['person'], 'role' | 'tenantKind'>) =>
  SECTIONS.filter(
    (s) =>
      s.roles.includes(person.role) &&
      !(s.oversightReviewers === true && person.role === 'reviewer' && person.tenantKind === 'authority'),
  );

/** Zones a person may show times in: every zone Intl knows, the default first. */
const TIME_ZONES = [
  DEFAULT_TIME_ZONE,
  ...Intl.supportedValuesOf('timeZone').filter((z) => z !== DEFAULT_TIME_ZONE),
];

/** How the console reads, as the person chooses in the header: its language and the time zone of its times. */
function Preferences() {
  const { t, language, setLanguage, timeZone, setTimeZone } = useI18n();
  return (
    <>
      <Choice
        class="language"
        id="language"
        label={t('nav.language')}
        value={language}
        onValue={(v) => setLanguage(v as Language)}
        options={Languages.map((l) => ({ value: l, lang: l, label: l === 'vi' ? 'Tiếng Việt' : 'English' }))}
      />
      <CodeChoice
        class="language"
        id="time-zone"
        label={t('nav.timeZone')}
        value={timeZone}
        codes={TIME_ZONES}
        onValue={setTimeZone}
      />
    </>
  );
}

function Frame(props: { children: ComponentChildren; nav?: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <>
      <a class="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        {props.nav}
        <Preferences />
      </header>
      <main id="main">{props.children}</main>
    </>
  );
}

/**
 * A page that fails while it renders (an answer it cannot show: a field missing, a value of another kind) says so
 * in words, under the menu. Without it Preact unmounts the whole console on such an error: a blank window, the
 * menu and sign-out gone with it. Keyed by the route, so another page starts afresh.
 */
function PageGuard(props: { children: ComponentChildren }) {
  const { t } = useI18n();
  const [error] = useErrorBoundary() as [unknown, () => void];
  if (error === undefined) return <>{props.children}</>;
  return (
    <Page title={t('error.pageTitle')}>
      <p class="error" role="alert">
        {t('error.pageFailed')}
        {error instanceof Error ? ` (${error.name}: ${error.message})` : ''}
      </p>
    </Page>
  );
}

/** An address under `/console/` that names no page (mistyped, or an older console's): said so, with a way on. */
function NoSuchPage(props: { first: (typeof SECTIONS)[number] | undefined }) {
  const { t } = useI18n();
  return (
    <Page title={t('error.noSuchPageTitle')}>
      <p class="error" role="alert">
        {t('error.noSuchPage')}
      </p>
      {props.first === undefined ? null : (
        <p>
          <Link to={props.first.path}>{t(props.first.label)}</Link>
        </p>
      )}
    </Page>
  );
}

/** The pages of a signed-in person, by route. */
function Pages(props: { person: Session['person'] }) {
  const { path, query } = useRoute();
  const sections = sectionsOf(props.person);
  const first = sections[0]?.path ?? 'desk';
  useEffect(() => {
    if (path === '' || path === 'sign-in') navigate(first, { replace: true });
  }, [path, first]);
  const [section = '', ...rest] = path.split('/');
  if (section === 'desk' && rest[0] === 'new') return <IssueOrderPage />;
  if (section === 'desk' && rest[0] === 'orders' && rest[1] !== undefined) return <OrderPage id={rest[1]} />;
  if (section === 'desk') return <DeskPage />;
  if (section === 'stats') return <Lazy key="stats" load={loadStats} />;
  const id = rest[0];
  // A section hidden from the person (an authority's reviewer and the reports) is no page of theirs either.
  if (
    SECTIONS.some((s) => s.path === section && s.oversightReviewers) &&
    !sections.some((s) => s.path === section)
  )
    return <NoSuchPage first={sections[0]} />;
  if (section === 'reports' && id !== undefined)
    return <Lazy key={`report-${id}`} load={() => loadReport(id)} />;
  if (section === 'reports') return <Lazy key="reports" load={loadReports} />;
  if (section === 'audit') return <AuditPage query={query} />;
  if (section === 'curation') return <CurationPage />;
  // The admin page only for an admin (the API refuses the rest its every call): no page of anyone else's.
  if (section === 'admin')
    return sections.some((s) => s.path === 'admin') ? <AdminPage /> : <NoSuchPage first={sections[0]} />;
  if (section === 'review' && rest[0] === 'exposure') return <ReviewExposurePage />;
  if (section === 'review') return <ReviewPage selected={query.get('case') ?? undefined} />;
  // The front page (and the sign-in's address) move on to the first section, above.
  if (path === '' || path === 'sign-in') return <Loading />;
  return <NoSuchPage first={sections[0]} />;
}

/**
 * Sign-out, at every stage of a session. The API ends the session; when it did not, the person is told they are
 * still signed in (never shown the sign-in page over a live session).
 */
function SignOut() {
  const { signOut } = useSession();
  const i18n = useI18n();
  const out = useAction(signOut);
  return (
    <>
      <button type="button" class="secondary" disabled={out.busy} onClick={() => void out.run()}>
        {i18n.t('nav.signOut')}
      </button>
      {out.error === null ? null : (
        <p class="error" role="alert">
          {i18n.t('error.signOutFailed')} {describeError(i18n, out.error)}
        </p>
      )}
    </>
  );
}

function Shell() {
  const { state } = useSession();
  const i18n = useI18n();
  const { t } = i18n;
  const { path } = useRoute();
  useEffect(() => setApiLanguage(i18n.language), [i18n.language]);
  if (state.status === 'loading')
    return (
      <Frame>
        <Loading />
      </Frame>
    );
  if (state.status === 'signed-out')
    return (
      <Frame>
        <SignInPage expired={state.expired} />
      </Frame>
    );
  const { session } = state;
  // A first sign-in left half done must be as easy to end as a full one: a session at these stages lets whoever
  // sits down next set the password and enrol their own authenticator.
  const leave = (
    <div class="leave">
      <SignOut />
    </div>
  );
  if (session.stage === 'password')
    return (
      <Frame nav={leave}>
        <ChangePasswordPage session={session} />
      </Frame>
    );
  if (session.stage === 'totp')
    return (
      <Frame nav={leave}>
        <EnrolTotpPage session={session} />
      </Frame>
    );
  const role = session.person.role;
  const current = path.split('/')[0];
  const nav = (
    <nav aria-label={t('nav.label')}>
      <ul>
        {sectionsOf(session.person).map((s) => (
          <li key={s.path}>
            <Link to={s.path} aria-current={current === s.path ? 'page' : undefined}>
              {t(s.label)}
            </Link>
          </li>
        ))}
      </ul>
      <span class="who">
        {session.person.displayName} · {t(`role.${role}`)}
      </span>
      <SignOut />
    </nav>
  );
  return (
    <Frame nav={nav}>
      <PageGuard key={path}>
        <Pages person={session.person} />
      </PageGuard>
    </Frame>
  );
}

export function App() {
  return (
    <I18nProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </I18nProvider>
  );
}
