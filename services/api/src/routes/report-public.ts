import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { reportStatusByTracking, takeFormToken } from '@mod/db/reports';
import { clientAddressKey } from '@mod/people';
import { errorAnswer } from '../error-answer.js';
import { ApiError, unavailable } from '../errors.js';
import { createSharedRateLimits } from '../shared-rate-limit.js';
import type { ReportFiling } from '../reports/file.js';
import { createFormRepeats } from '../reports/form-repeats.js';
import { createFormTokens, formTokenNonce, POW_SCRIPT, USED_TOKEN_MARGIN_MS } from '../reports/form-token.js';
import { fileWithFormToken } from '../reports/form-filing.js';
import {
  canonicalTrackingCode,
  checkReport,
  REPORT_LIMITS,
  reportError,
  ReportErrorCode,
  trackingDigest,
} from '../reports/intake.js';
import {
  REPORT_CSS,
  renderReportForm,
  renderReportSent,
  renderReportStatus,
  type FormValues,
} from '../reports/pages.js';
import type { ReportSettings } from '../reports/settings.js';
import type { Lang } from '../reports/texts.js';
import { discardRest } from './body-drain.js';
import { one, parseFormFields, type FormFields } from '../reports/form-fields.js';
import type { RouteDeps, TypedApp } from './common.js';
import { logVisitorsWithoutAddress } from './visitor-logging.js';

/** The pages' policy: nothing from elsewhere, scripts and styles of this origin only, forms posted here only. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const FormBody = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String(), Type.Array(Type.String())]),
);
/**
 * A public page's query: `lang`, and whatever else the link carries, ignored. A link to the form shared on a social
 * network comes back with the network's own parameters (Facebook adds `fbclid` to every link, campaigns `utm_*`),
 * and must open the form, not an error.
 */
const LangQuery = Type.Object(
  { lang: Type.Optional(Type.Unknown({ description: 'vi (the default) or en; any other value: vi' })) },
  { additionalProperties: true },
);

/**
 * A public page is asked with HEAD too (answered as GET, without the body): a link previewer or checker asks so
 * before it shows a link shared to the form. The app answers HEAD on no other route (`exposeHeadRoutes` off).
 */
const withHead = { exposeHeadRoute: true } as const;

/** The options of a public page read with GET in the visitor's language (`?lang=`): `what` it answers, as HTML. */
const htmlPage = (what: string) => ({
  ...withHead,
  config: { public: true as const },
  schema: { querystring: LangQuery, response: { 200: Type.String({ description: `${what} (text/html)` }) } },
});

/** Seconds a refusal for limits the database cannot check asks the client to wait. */
const LIMITS_DOWN_RETRY_S = 60;

const langOf = (value: unknown): Lang => (value === 'en' ? 'en' : 'vi');
/**
 * The client a per-address limit counts: its address (`req.ip`: the socket's, or the one a configured trusted
 * proxy names), an IPv6 address by its /64, which one host commonly holds whole (as sign-in failures are counted).
 */
const addressKey = (req: FastifyRequest): string => `ip:${clientAddressKey(req.ip)}`;

/**
 * Any error as the coded refusal a page shows: the API's code and status (`errorAnswer`), never an unexpected
 * error's own text (a database's message); one the service caused (5xx) is logged.
 */
function asRefusal(req: FastifyRequest, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const { statusCode, body } = errorAnswer(err);
  if (statusCode >= 500) req.log.error({ err }, 'the report form failed');
  return new ApiError(statusCode, body.error.code, body.error.message);
}

function page(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** Replies carrying a static asset (cacheable); pages are never stored. */
const assets = new WeakSet<FastifyReply>();
function asset(reply: FastifyReply, type: string, body: string): FastifyReply {
  assets.add(reply);
  return reply.type(type).send(body);
}

/**
 * The public report form (issue 23): `/report`, Vietnamese by default and English, no account, no JavaScript
 * needed, no file uploads. Abuse limits, none of them a third party: a signed single-use form token, a honeypot
 * field, per-address and global rate limits, an optional proof of work (which lifts the per-address limit), size
 * limits, and the URL normaliser. A refusal is coded and stores nothing. `/report/status` shows a report's coarse
 * progress to whoever holds its tracking code, and never anything of the content.
 */
export async function reportPublicRoutes(
  app: TypedApp,
  deps: RouteDeps & { reports: ReportSettings; filing: ReportFiling },
): Promise<void> {
  const { reports: settings, filing } = deps;
  logVisitorsWithoutAddress(app);
  const tokens = createFormTokens({
    secret: settings.formSecret,
    used: { take: (nonce, expiresAt) => takeFormToken(deps.db, nonce, expiresAt) },
  });
  const nowMs = () => deps.now().getTime();
  // Every instance's limits are one (buckets in the database): a client gets each limit once, not once per instance.
  const limits = createSharedRateLimits({ db: deps.db, secret: settings.formSecret });
  // A form's charge is kept while its token (good for an hour) may still be sent, by any instance's clock.
  const repeats = createFormRepeats({
    db: deps.db,
    keepUntil: () => new Date(nowMs() + 3_600_000 + USED_TOKEN_MARGIN_MS),
  });
  const perHour = (n: number) => n / 3600;
  const hourly = (name: string, o: { perHour: number; burst: number }) =>
    limits.limiter(name, { ratePerSecond: perHour(o.perHour), burst: o.burst });
  const plain = hourly('report.plain', settings.plain);
  const proven = hourly('report.proven', settings.proven);
  const lookups = hourly('report.lookups', settings.statusLookups);
  const everyone = limits.limiter('report.everyone', {
    ratePerSecond: settings.maxPerSecond,
    burst: settings.maxPerSecond * 2,
  });

  // The app's own onSend hook (a parent's hooks run first) forbids everything and stores nothing: this plugin's
  // pages get their own policy, its assets a cache lifetime.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', PAGE_POLICY);
    reply.header('cache-control', assets.has(reply) ? 'public, max-age=3600' : 'no-store');
  });

  // Form posts: URL-encoded, within the size limit (this plugin's parser only).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: REPORT_LIMITS.maxFormBodyBytes },
    (_req, body, done) => done(null, parseFormFields(body as string)),
  );

  const formPage = (
    reply: FastifyReply,
    status: number,
    lang: Lang,
    extra: { values?: FormValues; error?: ApiError } = {},
  ) =>
    page(
      reply,
      status,
      renderReportForm({
        lang,
        token: tokens.issue(nowMs()),
        powBits: settings.powBits,
        contactEnabled: settings.contactKey !== null,
        ...(extra.values === undefined ? {} : { values: extra.values }),
        ...(extra.error === undefined
          ? {}
          : { error: { code: extra.error.code, detail: extra.error.message } }),
      }),
    );

  app.get('/report', htmlPage('the form'), async (req, reply) =>
    formPage(reply, 200, langOf(req.query.lang)),
  );

  app.post(
    '/report',
    {
      config: { public: true },
      bodyLimit: REPORT_LIMITS.maxFormBodyBytes,
      // Files are refused before the body is validated, with a page that says why (give the link instead).
      preValidation: async (req, reply) => {
        if (!req.isMultipart()) return;
        await discardRest(req.raw, { maxBytes: REPORT_LIMITS.maxFormBodyBytes, maxMs: 5_000 });
        const { lang } = req.query as { lang?: string };
        await formPage(reply, 415, langOf(lang), {
          error: reportError(ReportErrorCode.NoFiles, 'the form takes no files: give the link'),
        });
      },
      schema: {
        description:
          'The public form (application/x-www-form-urlencoded). Answers an HTML page: the tracking code (201), or the form again with a coded error.',
        consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
        body: FormBody,
        response: { 201: Type.String({ description: 'the page (text/html)' }) },
      },
    },
    async (req, reply) => {
      const fields: FormFields = req.body;
      const lang = langOf(one(fields, 'lang'));
      const values: FormValues = {
        urls: one(fields, 'urls').slice(0, 30_000),
        seenWhere: one(fields, 'seenWhere'),
        category: one(fields, 'category'),
        description: one(fields, 'description'),
        name: one(fields, 'name'),
        phone: one(fields, 'phone'),
        email: one(fields, 'email'),
        consentContact: one(fields, 'consentContact') === 'yes',
        consentFollowUp: one(fields, 'consentFollowUp') === 'yes',
      };
      const switchTo = one(fields, 'switchLang');
      if (switchTo === 'vi' || switchTo === 'en') return switchLanguage(req, reply, fields, values, switchTo);
      try {
        const filed = await fileFromForm(req, fields, values, lang);
        return page(reply, 201, renderReportSent(lang, filed.trackingCode));
      } catch (err) {
        const refusal = asRefusal(req, err);
        if (refusal.retryAfterS !== undefined) reply.header('retry-after', String(refusal.retryAfterS));
        // A robot's post (honeypot) is shown nothing it typed; nor is another site's, to the visitor it used.
        return formPage(reply, refusal.statusCode, lang, {
          error: refusal,
          ...(refusal.code === ReportErrorCode.Rejected || refusal.code === ReportErrorCode.CrossSite
            ? {}
            : { values }),
        });
      }
    },
  );

  /**
   * The language switched on the form: the form again in `to`, with what was typed and the refusal it showed (its
   * code, said in `to`), a new token; nothing filed, nothing charged. Nothing of a robot's post (honeypot) or of
   * another site's is shown.
   */
  function switchLanguage(
    req: FastifyRequest,
    reply: FastifyReply,
    fields: FormFields,
    values: FormValues,
    to: Lang,
  ) {
    const from = req.headers['sec-fetch-site'];
    const foreign = from === 'cross-site' || from === 'same-site' || one(fields, 'website') !== '';
    const refused = one(fields, 'refused');
    const known = (Object.values(ReportErrorCode) as string[]).includes(refused);
    return formPage(reply, 200, to, {
      ...(foreign ? {} : { values }),
      ...(known ? { error: reportError(refused as ReportErrorCode, 'the form was refused') } : {}),
    });
  }

  // A post refused before the form's checks (a body too large, one that is no form): the form again, in the
  // language of the page it came from (the form's action names it), never the API's JSON. Other routes' errors
  // go on to the app's handler.
  app.setErrorHandler(async (err, req, reply) => {
    if (req.method !== 'POST' || req.routeOptions.url !== '/report') throw err;
    const refusal = asRefusal(req, err);
    return formPage(reply, refusal.statusCode, langOf((req.query as { lang?: unknown }).lang), {
      error: refusal,
    });
  });

  /**
   * Every abuse check, cheapest first, and none charged to others for what one client sends: a robot's post
   * (honeypot) and a forged or stale token are refused before any limit is charged; the per-address limit comes
   * before the global one, so that one client past its own limit spends nothing of everyone's, and a form sent
   * again is not charged again (`FormRepeats`); only then is the token taken (a write), with the report's own
   * checks and the filing (`fileWithFormToken`: a second post of the token answers the report it filed again).
   * Throws a coded ApiError.
   */
  async function fileFromForm(req: FastifyRequest, fields: FormFields, values: FormValues, lang: Lang) {
    const now = nowMs();
    // A post another site made a visitor's browser send (a hidden form, sent on load): without this, a site could
    // file reports through each of its visitors, each address with a limit of its own, from tokens it fetched.
    // Browsers say where a request comes from (`Sec-Fetch-Site`); a client that says nothing is within the limits.
    const from = req.headers['sec-fetch-site'];
    if (from === 'cross-site' || from === 'same-site')
      throw reportError(ReportErrorCode.CrossSite, 'the form was sent from another site');
    if (one(fields, 'website') !== '') throw reportError(ReportErrorCode.Rejected, 'the report was refused');
    const token = one(fields, 'token');
    const genuine = tokens.verify(token, now);
    if (genuine !== 'ok') throw reportError(ReportErrorCode.FormExpired, `the form token is ${genuine}`);
    const proof = one(fields, 'pow');
    const proved = proof !== '' && settings.powBits > 0 && tokens.proves(token, proof, settings.powBits);
    if (settings.powRequired && settings.powBits > 0 && !proved)
      throw reportError(ReportErrorCode.Pow, 'the proof of work is missing or wrong');
    // The same form sent again (Send pressed twice) is charged once: the repeat is answered as the first was.
    // Fail-closed: limits the database cannot check refuse the post (503, try later), never let it through.
    await repeats
      .charge(formTokenNonce(token), async (db) => {
        const limit = await (proved ? proven : plain).take(addressKey(req), now, db);
        if (!limit.allowed)
          throw reportError(
            ReportErrorCode.RateLimited,
            'too many reports from this address',
            Math.ceil(limit.retryAfterMs / 1000),
          );
        const all = await everyone.take('all', now, db);
        if (!all.allowed)
          throw reportError(
            ReportErrorCode.Busy,
            'too many reports right now',
            Math.ceil(all.retryAfterMs / 1000),
          );
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        req.log.error({ err }, 'the report form limits could not be checked');
        throw reportError(ReportErrorCode.Busy, 'the abuse limits cannot be checked', LIMITS_DOWN_RETRY_S);
      });
    return fileWithFormToken({ filing, tokens, settings, token, nowMs: now, lang }, () =>
      checkReport({
        urls: (values.urls ?? '').split(/\r?\n/),
        category: values.category ?? '',
        seenWhere: values.seenWhere,
        description: values.description,
        contact: { name: values.name ?? '', phone: values.phone ?? '', email: values.email ?? '' },
        consents: { contact: values.consentContact === true, followUp: values.consentFollowUp === true },
      }),
    );
  }

  const statusPage = async (
    reply: FastifyReply,
    req: FastifyRequest,
    lang: Lang,
    typed: string | undefined,
  ) => {
    if (typed === undefined)
      return page(reply, 200, renderReportStatus({ lang, timeZone: settings.timeZone }));
    const limit = await lookups.take(addressKey(req), nowMs()).catch((err: unknown) => {
      req.log.error({ err }, 'the status look-up limit could not be checked');
      throw unavailable('the look-up limit cannot be checked', LIMITS_DOWN_RETRY_S);
    });
    if (!limit.allowed) {
      reply.header('retry-after', String(Math.ceil(limit.retryAfterMs / 1000)));
      return page(
        reply,
        429,
        // Said as such: many citizens share one address (a mobile carrier's NAT), and their codes are fine.
        renderReportStatus({ lang, code: typed, limited: true, timeZone: settings.timeZone }),
      );
    }
    const code = canonicalTrackingCode(typed);
    const found =
      code === null
        ? null
        : await reportStatusByTracking(
            deps.db,
            trackingDigest(code),
            settings.earlyOutcome ? null : deps.now(),
          );
    return page(
      reply,
      found === null ? 404 : 200,
      renderReportStatus({ lang, code: code ?? typed, found, timeZone: settings.timeZone }),
    );
  };

  app.get('/report/status', htmlPage('the page'), async (req, reply) =>
    statusPage(reply, req, langOf(req.query.lang), undefined),
  );

  // A POST keeps the code out of URLs (and so out of logs and browser history).
  app.post(
    '/report/status',
    {
      config: { public: true },
      bodyLimit: 4096,
      schema: {
        consumes: ['application/x-www-form-urlencoded'],
        body: FormBody,
        response: { 200: Type.String({ description: 'the page (text/html)' }) },
      },
    },
    async (req, reply) => {
      const fields: FormFields = req.body;
      return statusPage(reply, req, langOf(one(fields, 'lang')), one(fields, 'code').slice(0, 40));
    },
  );

  // An address typed, printed or shared with a trailing slash is the same page, never the API's JSON 404.
  for (const path of ['/report', '/report/status'])
    app.get(
      `${path}/`,
      { ...withHead, config: { public: true }, schema: { hide: true } },
      async (req, reply) => {
        const query = req.url.indexOf('?');
        return reply.redirect(path + (query === -1 ? '' : req.url.slice(query)), 301);
      },
    );

  app.get('/report/report.css', { config: { public: true } }, async (_req, reply) =>
    asset(reply, 'text/css; charset=utf-8', REPORT_CSS),
  );
  app.get('/report/pow.js', { config: { public: true } }, async (_req, reply) =>
    asset(reply, 'text/javascript; charset=utf-8', POW_SCRIPT),
  );
}
