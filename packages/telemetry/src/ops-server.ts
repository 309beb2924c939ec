import Fastify, { type FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';

/** A readiness check: resolves true when the dependency is usable. Must be cheap and time-bounded. */
export type ReadinessCheck = () => Promise<boolean>;

/** The checks behind `/health/ready` and the readiness gauge, and how often they may run. */
export interface ReadinessOptions {
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

/** A service's readiness: its checks, run one at a time, their answer shared while fresh. */
export interface Readiness {
  /** Each check's name and whether it passed, in the order the checks were given. */
  results(): Promise<readonly (readonly [name: string, ok: boolean])[]>;
}

/**
 * The ops routes' options: the registry, and the checks, or a `Readiness` already made (the API shares one between
 * its ops server and the bare probes on its public port, so both cost the dependencies one run per interval).
 */
export type OpsServerOptions = { registry: Registry } & (ReadinessOptions | { readiness: Readiness });

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
 * Routes every service exposes on its ops server (`OPS_HOST:OPS_PORT`, loopback by default, never the API's public
 * port): `/metrics` (Prometheus text), `/health/live` (the process is up), `/health/ready` (every dependency check
 * passes; 503 with the failing names otherwise).
 * The checks are also the gauge `mod_readiness_check_success{check}`, read at each scrape, so an alert can name
 * the dependency a service lost.
 */
export function registerOpsRoutes(app: FastifyInstance, options: OpsServerOptions): void {
  const readiness = 'readiness' in options ? options.readiness : createReadiness(options);
  if (options.registry.getSingleMetric('mod_readiness_check_success') === undefined)
    new Gauge({
      name: 'mod_readiness_check_success',
      help: 'Readiness checks when scraped: 1 passing, 0 failing (as /health/ready)',
      labelNames: ['check'],
      registers: [options.registry],
      async collect() {
        for (const [name, ok] of await readiness.results()) this.set({ check: name }, ok ? 1 : 0);
      },
    });
  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_req, reply) => {
    const results = await readiness.results();
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    return reply
      .code(failing.length === 0 ? 200 : 503)
      .send({ status: failing.length === 0 ? 'ready' : 'not-ready', failing });
  });
}

/** A small HTTP server with only the ops routes, for every service (the API's too). Listen with `.listen({ host, port })`. */
export function createOpsServer(options: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  registerOpsRoutes(app, options);
  return app;
}

/**
 * Readiness from its checks: each bounded by `checkTimeoutMs` (a timeout or a throw counts as failed), one run at a
 * time, its answer reused for `checkMaxAgeMs` after it came in.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const maxAgeMs = options.checkMaxAgeMs ?? 1000;
  const now = options.now ?? Date.now;
  const runAll = () =>
    Promise.all(
      Object.entries(options.checks).map(
        async ([name, check]) => [name, await withTimeout(check, timeoutMs)] as const,
      ),
    );
  // The checks query the database and the broker, and probes may come at any rate (a load balancer's, the API's
  // public /health/ready): one run at a time, its answer reused while fresh, so a flood of requests is not a flood
  // of queries (each check settles within its timeout, and never rejects).
  let last: { results: ReturnType<typeof runAll>; settledAt: number | null } | null = null;
  return {
    results() {
      if (last !== null && (last.settledAt === null || now() - last.settledAt < maxAgeMs))
        return last.results;
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
    },
  };
}

/**
 * `/health/live` and `/health/ready` for a public port (the API's, for a load balancer's probes): up or down and
 * nothing more. `/health/ready` answers `200 {"status":"ready"}` or `503 {"status":"not-ready"}` without naming
 * the failing checks, which are the ops server's to tell (`registerOpsRoutes`), with the metrics.
 */
export function registerProbeRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_req, reply) => {
    const ready = (await readiness.results()).every(([, ok]) => ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready' });
  });
}
