import Fastify, { type FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';

/** A readiness check: resolves true when the dependency is usable. Must be cheap and time-bounded. */
export type ReadinessCheck = () => Promise<boolean>;

export interface OpsServerOptions {
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  /** Milliseconds one readiness check may take before it counts as failed. Default 2000. */
  checkTimeoutMs?: number;
  /**
   * Milliseconds the checks' answer is reused after it came in. Default 1000. Callers meanwhile (and callers while
   * a run is under way) share it, so probes and scrapes at any rate cost the dependencies one run per interval.
   */
  checkMaxAgeMs?: number;
  /** Clock of `checkMaxAgeMs` (tests). Default `Date.now`. */
  now?: () => number;
}

async function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().catch(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Routes every service exposes: `/metrics` (Prometheus text), `/health/live` (the process is up),
 * `/health/ready` (every dependency check passes; 503 with the failing names otherwise).
 * Registered on an existing fastify app (the api) or on a dedicated one (workers).
 * The checks are also the gauge `mod_readiness_check_success{check}`, read at each scrape, so an alert can name
 * the dependency a service lost.
 */
export function registerOpsRoutes(app: FastifyInstance, options: OpsServerOptions): void {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const maxAgeMs = options.checkMaxAgeMs ?? 1000;
  const now = options.now ?? Date.now;
  const runAll = () =>
    Promise.all(
      Object.entries(options.checks).map(
        async ([name, check]) => [name, await withTimeout(check, timeoutMs)] as const,
      ),
    );
  // The checks query the database and the broker, and the API answers /health/ready and /metrics to anyone on
  // its public port: one run at a time, its answer reused while fresh, so a flood of requests is not a flood of
  // queries (each check settles within its timeout, and never rejects).
  let last: { results: ReturnType<typeof runAll>; settledAt: number | null } | null = null;
  const runChecks = () => {
    if (last !== null && (last.settledAt === null || now() - last.settledAt < maxAgeMs)) return last.results;
    const run: { results: ReturnType<typeof runAll>; settledAt: number | null } = {
      results: runAll(),
      settledAt: null,
    };
    const settled = () => {
      run.settledAt = now();
    };
    run.results.then(settled, settled);
    last = run;
    return run.results;
  };
  if (options.registry.getSingleMetric('mod_readiness_check_success') === undefined)
    new Gauge({
      name: 'mod_readiness_check_success',
      help: 'Readiness checks when scraped: 1 passing, 0 failing (as /health/ready)',
      labelNames: ['check'],
      registers: [options.registry],
      async collect() {
        for (const [name, ok] of await runChecks()) this.set({ check: name }, ok ? 1 : 0);
      },
    });
  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_req, reply) => {
    const results = await runChecks();
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    return reply
      .code(failing.length === 0 ? 200 : 503)
      .send({ status: failing.length === 0 ? 'ready' : 'not-ready', failing });
  });
}

/** A small HTTP server with only the ops routes, for worker services. Listen with `.listen({ host, port })`. */
export function createOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  registerOpsRoutes(app, options);
  return app;
}
