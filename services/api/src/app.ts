import type { ServerOptions } from 'node:https';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  createMasterKeyring,
  defaultRetentionPolicy,
  type MasterKeyring,
  type RetentionPolicy,
} from '@mod/vault';
import type { Pool } from '@mod/db';
import type { PublicKeyInfo, SigningKey } from '@mod/db/audit';
import type { PendingMedia } from '@mod/db/submissions';
import { createPgEvidenceStore } from '@mod/db/vault';
import type { Producer } from '@mod/kafka';
import {
  createReadiness,
  noTracer,
  registerProbeRoutes,
  type Logger,
  type Readiness,
  type Registry,
  type Tracer,
} from '@mod/telemetry';
import { registerAuth } from './auth.js';
import { handleClientError } from './client-errors.js';
import { errorAnswer } from './error-answer.js';
import { registerDecimalIntegers } from './decimal-integers.js';
import { ApiError, badRequest, timedOut } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { accountRoutes } from './routes/account.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { bankRoutes, streamListBodies } from './routes/banks.js';
import { ispRoutes } from './routes/isp-routes.js';
import type { IspTrafficQuota } from './routes/isp-traffic-quota.js';
import { ispSplashRoutes, type SplashSettings } from './routes/isp-splash.js';
import { mediaRoutes } from './routes/media.js';
import { orderRoutes } from './routes/orders.js';
import { orderStatsRoutes } from './routes/order-stats.js';
import { orderWebhookRoutes, type WebhookTargetCheck } from './routes/order-webhook.js';
import { submissionRoutes } from './routes/submissions.js';
import { evidenceRoutes } from './routes/evidence.js';
import { registerTracing } from './tracing.js';
import { DEFAULT_PEOPLE_SETTINGS, type PeopleSettings } from './session-auth.js';
import { adminPeopleRoutes } from './routes/admin-people.js';
import { sessionRoutes } from './routes/session.js';
import { registerCaseGroups, reviewSettingsOf, type ReviewSettings } from './routes/cases.js';
import { urlListRoutes } from './routes/url-lists.js';
import { consoleRoutes } from './console.js';
import { reportPublicRoutes } from './routes/report-public.js';
import { referredReportRoutes } from './routes/report-referrals.js';
import { reportRoutes, reportStatsRoutes } from './routes/reports.js';
import { createReportFiling, registerReportGauges } from './reports/file.js';
import { DEFAULT_REPORT_SETTINGS, type ReportSettings } from './reports/settings.js';
import { apiTopics, type RouteDeps } from './routes/common.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks a route deliberately public (no `roles`); any other route without `roles` fails at start-up. */
    public?: true;
  }
}

export interface AppDeps {
  /** Prefix of every topic name ('' in production; tests own theirs). */
  topicPrefix: string;
  /** Largest bank list the import route accepts, bytes. Default 2 GiB. */
  maxListBytes?: number;
  db: Pool;
  producer: Producer;
  /** Publishes a committed intake media message now (`MediaDispatcher`); absent, it waits for the relay. */
  dispatchMedia?: (message: PendingMedia) => void;
  /** Media messages waiting to be published beyond which uploads answer 503. Default 500. */
  maxPendingMedia?: number;
  /** Uploads this instance receives at once; one more answers 503. Default: 512 MiB of the largest upload. */
  maxUploadsReceiving?: number;
  logger: Logger;
  registry: Registry;
  /** Server spans of requests (`registerTracing`). Default: none of its own. */
  tracer?: Tracer;
  /**
   * What the public `/health/ready` answers, up or down only (the same `Readiness` as the ops server, which names
   * the failing checks and serves `/metrics`: never on this app). Default: always ready.
   */
  readiness?: Readiness;
  /** Largest upload accepted, bytes. */
  maxUploadBytes: number;
  /** Largest JSON body, bytes (routes may set a larger `bodyLimit` for streamed lists). Default 256 KiB. */
  maxBodyBytes?: number;
  /** Milliseconds a request may take before a 503 MOD_ERR_API_TIMEOUT (route `config.timeoutMs` overrides; 0 = none). Default 30000. */
  requestTimeoutMs?: number;
  /** Requests per credential. Default 20/s sustained, bursts of 100. */
  rateLimit?: RateLimitOptions;
  /**
   * Failed authentications per client address and per failing credential (key prefix, certificate) before
   * failures answer 429 and are no longer audited one by one; a valid credential is never refused by it.
   * Default 1/s sustained, bursts of 20.
   */
  authFailureLimit?: RateLimitOptions;
  /**
   * Proxies (IPs or CIDRs) whose `X-Forwarded-For` names the client (`API_TRUSTED_PROXIES`). Default none: the
   * header is ignored and the client is the direct peer, so no client can pose as another address.
   */
  trustedProxies?: readonly string[];
  /** How webhook targets are resolved and vetted at registration. Default: system DNS, production policy. */
  webhookTargets?: WebhookTargetCheck;
  /** TLS for the listener; with `requestCert`, verified client certificates mapped to ISPs authenticate (mTLS). */
  tls?: ServerOptions;
  /** What the walled-garden page says (`SPLASH_*` settings). Default: the built-in texts. */
  splash?: SplashSettings;
  /** The audit log's signing key: audit exports sign their scope with it. Default: none (exports answer 503). */
  auditSigningKey?: SigningKey | null;
  /**
   * Keys whose tree heads the audit routes serve and prove against (`AuditKeys.trusted`): stored rows none of them
   * signed are skipped (the application role may insert them). Default: the signing key alone.
   */
  auditTrustedKeys?: readonly PublicKeyInfo[];
  /** Staff accounts: sessions, sign-in lock-out, TOTP sealing key (session-auth.ts). Default: no sealing key. */
  people?: Partial<PeopleSettings>;
  /**
   * The evidence vault's master keys (`keyringFromConfig`) and the retention policy the actioner applies. Default:
   * no keys (metadata and legal holds work; an integrity check answers 503) and the default retention.
   */
  evidenceVault?: { keyring: MasterKeyring; retention: RetentionPolicy };
  /** Review cases: the policy confirmations issue orders under, claims and deadlines, reveals, the vault. */
  review?: Partial<ReviewSettings>;
  /** Citizens' reports: deadline, contact sealing, the public form's abuse limits (reports/settings.ts). */
  reports?: Partial<ReportSettings>;
  /** Traffic-sample lines per ISP tenant, shared by every instance. Default 1,000,000 an hour, bursts of 200,000. */
  ispTrafficQuota?: IspTrafficQuota;
  /** The web console's build, served under /console (console.ts). Default: `services/console/dist`. */
  consoleDir?: string;
  now?: () => Date;
}

/** A route as registered: what the authorization matrix test and the OpenAPI test enumerate. */
export interface RegisteredRoute {
  method: string;
  url: string;
  config: Readonly<Record<string, unknown>>;
  schema: Readonly<Record<string, unknown>>;
}
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route `buildApp` registered (seen by an `onRoute` hook added before any route). */
export function routesOf(app: FastifyInstance): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/** Routes must be declared with roles or marked public: a forgotten `roles` fails closed, at start-up. */
function requireAccessDeclaration(method: string | string[], url: string, config: unknown): void {
  const c = (config ?? {}) as { roles?: unknown; public?: unknown };
  if (c.roles === undefined && c.public !== true)
    throw new Error(`route ${String(method)} ${url} declares neither config.roles nor config.public`);
}

/** Headers every answer carries (the onSend hook; a router error, which skips the hooks, sets them itself). */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
} as const;

/** Builds the HTTP app without listening (tests use `inject`; main.ts listens). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const bodyLimit = deps.maxBodyBytes ?? 256 * 1024;
  const defaultTimeoutMs = deps.requestTimeoutMs ?? 30_000;
  const base = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit,
    // Time to receive a whole request; 0 for streamed bulk bodies, which the per-route deadline governs.
    requestTimeout: 0,
    connectionTimeout: 60_000,
    exposeHeadRoutes: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    clientErrorHandler: handleClientError,
    // A path the router cannot read (a broken percent-escape, a parameter past its length): fastify's own answer
    // echoed the path, in its own shape, past the hooks (so without the security headers).
    frameworkErrors: (_err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const { statusCode, body } = errorAnswer(
        badRequest('MOD_ERR_API_BAD_REQUEST', 'the path is not valid'),
      );
      return reply.code(statusCode).headers(SECURITY_HEADERS).send(body);
    },
    trustProxy:
      deps.trustedProxies !== undefined && deps.trustedProxies.length > 0 ? [...deps.trustedProxies] : false,
    ...(deps.tls === undefined ? {} : { https: deps.tls }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  registerTracing(base, deps.tracer ?? noTracer);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { statusCode, body } = errorAnswer(err);
    if (statusCode >= 500) req.log.error({ err }, 'request failed');
    if (err instanceof ApiError && err.retryAfterS !== undefined)
      reply.header('retry-after', String(err.retryAfterS));
    return reply.code(statusCode).send(body);
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: { code: 'MOD_ERR_API_NO_ROUTE', message: 'no such route' } }),
  );
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  registerDeadline(base, defaultTimeoutMs);
  const routes: RegisteredRoute[] = [];
  registered.set(base, routes);
  base.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        config: (route.config ?? {}) as Record<string, unknown>,
        schema: (route.schema ?? {}) as Record<string, unknown>,
      });
    }
  });

  // A load balancer's probes, on the public port: up or down, nothing more. Metrics and the failing checks' names
  // are the ops server's (main.ts, OPS_HOST:OPS_PORT), which anyone reaching this port cannot reach.
  registerProbeRoutes(base, deps.readiness ?? createReadiness({ checks: {} }));
  base.addHook('onRoute', (route) => {
    requireAccessDeclaration(route.method, route.url, route.config);
    // Streamed bulk bodies (route bodyLimit above the default) take as long as the upload takes.
    if ((route.bodyLimit ?? 0) > bodyLimit && route.config?.timeoutMs === undefined)
      route.config = { ...route.config, timeoutMs: 0 };
  });
  registerDecimalIntegers(base);
  // Routes without a body schema take no JSON body: fields sent anyway are refused, not silently ignored.
  base.addHook('preValidation', async (req) => {
    const declared = req.routeOptions.schema?.body;
    const body: unknown = req.body;
    if (declared === undefined && isPlainObject(body) && Object.keys(body).length > 0)
      throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', 'this route takes no body');
  });
  const people: PeopleSettings = { ...DEFAULT_PEOPLE_SETTINGS, ...deps.people };
  registerAuth(base, {
    sessionIdleTimeoutMs: people.idleTimeoutMs,
    db: deps.db,
    now,
    keyLimiter: createRateLimiter(deps.rateLimit ?? { ratePerSecond: 20, burst: 100 }),
    failureLimiter: createRateLimiter(deps.authFailureLimit ?? { ratePerSecond: 1, burst: 20 }),
    clientCertificates: deps.tls?.requestCert === true,
    registry: deps.registry,
  });
  await registerOpenApi(base);
  await app.register(multipart, {
    limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 5, fieldSize: 1000, parts: 6 },
  });

  const routeDeps: RouteDeps = {
    db: deps.db,
    producer: deps.producer,
    topics: apiTopics(deps.topicPrefix),
    maxUploadBytes: deps.maxUploadBytes,
    ...(deps.maxPendingMedia === undefined ? {} : { maxPendingMedia: deps.maxPendingMedia }),
    ...(deps.maxUploadsReceiving === undefined ? {} : { maxUploadsReceiving: deps.maxUploadsReceiving }),
    ...(deps.dispatchMedia === undefined ? {} : { dispatchMedia: deps.dispatchMedia }),
    now,
  };
  // Route groups: one plugin each, registered under its prefix, in this order. Every route declares config.roles
  // (and tenant rule) and gets an entry in authz-matrix.test-helper.ts, or the authorization matrix test fails.
  const maxListBytes = deps.maxListBytes ?? 2 ** 31;
  // Before the groups, so that every group has it: the bank list body parser is the whole app's.
  streamListBodies(app, maxListBytes);
  await app.register(mediaRoutes, { prefix: '/v1/media', ...routeDeps, registry: deps.registry });
  await app.register(submissionRoutes, { prefix: '/v1/submissions', ...routeDeps });
  await app.register(orderRoutes, { prefix: '/v1/orders', ...routeDeps });
  await app.register(orderStatsRoutes, { prefix: '/v1/order-stats', ...routeDeps });
  const webhookTargets = deps.webhookTargets === undefined ? {} : { webhookTargets: deps.webhookTargets };
  await app.register(orderWebhookRoutes, { prefix: '/v1/order-webhook', ...routeDeps, ...webhookTargets });
  await app.register(bankRoutes, { prefix: '/v1/banks', ...routeDeps, maxListBytes });
  await app.register(urlListRoutes, { prefix: '/v1/url-lists', ...routeDeps, maxListBytes });
  await app.register(accountRoutes, { prefix: '/v1', ...routeDeps });
  await app.register(adminRoutes, { prefix: '/v1/admin', ...routeDeps, ...webhookTargets });
  await app.register(adminPeopleRoutes, { prefix: '/v1/admin/people', ...routeDeps, people });
  await app.register(sessionRoutes, {
    prefix: '/v1/session',
    ...routeDeps,
    people,
    registry: deps.registry,
  });
  await app.register(auditRoutes, {
    prefix: '/v1/audit',
    ...routeDeps,
    signingKey: deps.auditSigningKey ?? null,
    trusted: deps.auditTrustedKeys ?? (deps.auditSigningKey ? [deps.auditSigningKey] : []),
    registry: deps.registry,
  });
  await app.register(ispRoutes, {
    prefix: '/v1/isp',
    ...routeDeps,
    registry: deps.registry,
    ...(deps.ispTrafficQuota === undefined ? {} : { trafficQuota: deps.ispTrafficQuota }),
  });
  const vaultKeys = deps.evidenceVault?.keyring ?? createMasterKeyring({ current: '' });
  await app.register(evidenceRoutes, {
    prefix: '/v1/evidence',
    ...routeDeps,
    vault: createPgEvidenceStore(deps.db, { keyring: vaultKeys }),
    vaultOpens: vaultKeys.ids.length > 0,
    retention: deps.evidenceVault?.retention ?? defaultRetentionPolicy,
  });
  // Review cases (/v1/cases), the person's review settings and bank proposals, with their metrics.
  await registerCaseGroups(app, {
    ...routeDeps,
    // The vault's store for previews and reveals, unless the caller gives one.
    review: reviewSettingsOf({
      evidence: createPgEvidenceStore(deps.db, { keyring: vaultKeys }),
      ...deps.review,
    }),
    registry: deps.registry,
  });
  // Citizens' reports: the public form (/report, no API prefix), the hotline's and platforms' intake and the
  // operators' reads (/v1/reports), the programme's figures (/v1/report-stats).
  const reports: ReportSettings = { ...DEFAULT_REPORT_SETTINGS, ...deps.reports };
  const filing = createReportFiling({
    db: deps.db,
    urlObservedTopic: routeDeps.topics.urlObserved,
    settings: reports,
    registry: deps.registry,
    now,
  });
  registerReportGauges(deps.registry, deps.db, now);
  await app.register(reportPublicRoutes, { ...routeDeps, reports, filing });
  await app.register(reportRoutes, { prefix: '/v1/reports', ...routeDeps, reports, filing });
  await app.register(reportStatsRoutes, { prefix: '/v1/report-stats', ...routeDeps });
  await app.register(referredReportRoutes, { prefix: '/v1/referred-reports', ...routeDeps });
  // The walled-garden page: public, where the ISPs' resolvers send users (no API prefix).
  await app.register(ispSplashRoutes, {
    ...routeDeps,
    ...(deps.splash === undefined ? {} : { splash: deps.splash }),
  });
  // The web console (static files, its own Content-Security-Policy): same origin as the API it calls.
  await base.register(consoleRoutes, deps.consoleDir === undefined ? {} : { dir: deps.consoleDir });

  return base;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/** Answers a request still unanswered after its deadline with 503 MOD_ERR_API_TIMEOUT. */
function registerDeadline(app: FastifyInstance, defaultTimeoutMs: number): void {
  const timers = new WeakMap<object, NodeJS.Timeout>();
  const clear = (req: object) => {
    clearTimeout(timers.get(req));
    timers.delete(req);
  };
  app.addHook('onRequest', async (req, reply) => {
    const ms = req.routeOptions.config.timeoutMs ?? defaultTimeoutMs;
    if (ms <= 0) return;
    const timer = setTimeout(() => {
      timers.delete(req);
      if (reply.sent || reply.raw.headersSent) return;
      const { statusCode, code, message } = timedOut();
      // Closing the connection: a body still trickling in (slowloris) would be read on past every deadline.
      void reply.header('connection', 'close').code(statusCode).send({ error: { code, message } });
    }, ms);
    timer.unref();
    timers.set(req, timer);
    reply.raw.once('close', () => clear(req));
  });
  app.addHook('onResponse', async (req) => clear(req));
  app.addHook('onRequestAbort', async (req) => clear(req));
}
