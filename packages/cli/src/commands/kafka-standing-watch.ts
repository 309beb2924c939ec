import { setTimeout as sleep } from 'node:timers/promises';
import { isModError } from '@mod/contracts';
import type { Queryable } from '@mod/db';
import { listTenants } from '@mod/db/access';
import type { Kafka } from '@mod/kafka';
import {
  Counter,
  createLogger,
  createOpsServer,
  createRegistry,
  Gauge,
  type Logger,
  type Registry,
} from '@mod/telemetry';
import { CliErrorCode } from '../errors.js';
import { operator, withPool } from './curator.js';
import { reconcilePartnerStanding, type StandingChange } from './kafka-standing.js';

/** Each tenant's standing as the broker must reflect it (`kind:disabled`), by tenant id. */
export type Standings = ReadonlyMap<string, string>;

/** Reads every tenant's standing, a page of 1,000 at a time (kind and whether it is disabled: all the broker follows). */
export async function readStandings(db: Queryable): Promise<Standings> {
  const standings = new Map<string, string>();
  let after: string | undefined;
  for (;;) {
    const page = await listTenants(db, { limit: 1000, ...(after === undefined ? {} : { after }) });
    for (const t of page) standings.set(t.id, `${t.kind}:${t.disabledAt !== null}`);
    if (page.length < 1000) return standings;
    after = page.at(-1)?.id;
  }
}

/** The tenants whose standing differs between two readings (changed, appeared or gone), in id order. */
export function standingChanges(before: Standings, after: Standings): string[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort();
}

/** The wait before retry number `attempt` (1, 2, ...): `baseMs` doubled each time, at most `maxMs`. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

/** The watcher's metrics, registered on the registry it is given. */
export interface StandingWatchMetrics {
  passes: Counter<'scope' | 'outcome'>;
  changes: Counter<'change'>;
  pending: Gauge;
  oldestPendingSeconds: Gauge;
}

export function createStandingWatchMetrics(registry: Registry): StandingWatchMetrics {
  return {
    passes: new Counter({
      name: 'mod_kafka_standing_passes_total',
      help: "Standing passes: scope tenant (one tenant's change), all (every partner), read (tenants read); outcome ok or failed",
      labelNames: ['scope', 'outcome'],
      registers: [registry],
    }),
    changes: new Counter({
      name: 'mod_kafka_standing_changes_total',
      help: 'Partner principals whose broker access the watcher changed: suspended or restored',
      labelNames: ['change'],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'mod_kafka_standing_pending',
      help: 'Standing passes due or waiting for a retry (a tenant each, and every partner)',
      registers: [registry],
    }),
    oldestPendingSeconds: new Gauge({
      name: 'mod_kafka_standing_oldest_pending_seconds',
      help: "Seconds since the oldest pending change was seen: how long the broker has not reflected a tenant's standing",
      registers: [registry],
    }),
  };
}

/** What `watchPartnerStanding` needs. Durations in milliseconds. */
export interface StandingWatchOptions {
  /** Reconciles the partner principals of one tenant, or of every partner when `tenantId` is undefined. */
  reconcile: (tenantId?: string) => Promise<StandingChange[]>;
  /** Every tenant's standing now. */
  standings: () => Promise<Standings>;
  metrics: StandingWatchMetrics;
  logger: Logger;
  /** Ends the watch (at the next wait, or once the pass in progress is done). */
  signal: AbortSignal;
  /** How often the tenants' standing is read. Default 1,000. */
  pollMs?: number;
  /** How often every partner is reconciled, whatever changed (drift: a DENY removed by hand, a missed change). Default 60,000. */
  fullEveryMs?: number;
  /** The first retry's wait after a failed pass; doubled at each further failure. Default 1,000. */
  retryBaseMs?: number;
  /** The longest wait between retries. Default 30,000. */
  retryMaxMs?: number;
  /** Clock (tests). Default `Date.now`. */
  now?: () => number;
}

/** The key of the pass over every partner among the tenants' pending passes. */
const EVERY_PARTNER = '\0all';

interface Pending {
  /** Failed attempts so far. */
  attempts: number;
  /** When it may run next. */
  dueAt: number;
  /** When the change it applies was seen. */
  since: number;
}

/**
 * Keeps every partner principal's broker access in line with its tenant's standing as it changes: reads the
 * tenants every `pollMs`, reconciles the principals of each tenant whose standing changed (a disable, an enable, a
 * new or gone tenant) at once, and every partner every `fullEveryMs`. A failed pass (broker or database down, a
 * refusal) is logged and counted and retried with a doubling wait, until it succeeds; a change seen meanwhile for
 * the same tenant is applied by that retry (a pass reads the tenant afresh). Runs until `signal` aborts.
 */
export async function watchPartnerStanding(o: StandingWatchOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? 1_000;
  const fullEveryMs = o.fullEveryMs ?? 60_000;
  const pending = new Map<string, Pending>();
  let known: Standings | null = null;
  let lastFullAt = -Infinity;
  // A change to a tenant whose pass waits for a retry makes it due at once (its attempts and age kept).
  const due = (key: string) => {
    const p = pending.get(key);
    if (p === undefined) pending.set(key, { attempts: 0, dueAt: now(), since: now() });
    else p.dueAt = now();
  };
  while (!o.signal.aborted) {
    const current = await readOrNull(o);
    if (current !== null) {
      if (known !== null) for (const id of standingChanges(known, current)) due(id);
      known = current;
      if (now() - lastFullAt >= fullEveryMs) {
        due(EVERY_PARTNER);
        lastFullAt = now();
      }
      for (const [key, p] of [...pending])
        if (p.dueAt <= now() && !o.signal.aborted && (await pass(o, now, key, p))) pending.delete(key);
    }
    o.metrics.pending.set(pending.size);
    const oldest = Math.min(...[...pending.values()].map((p) => p.since));
    o.metrics.oldestPendingSeconds.set(pending.size === 0 ? 0 : (now() - oldest) / 1000);
    await sleep(pollMs, undefined, { signal: o.signal }).catch(() => undefined);
  }
}

/** One pending pass: true when it succeeded; a failure is logged, counted and given its next time. */
async function pass(o: StandingWatchOptions, now: () => number, key: string, p: Pending): Promise<boolean> {
  const scope = key === EVERY_PARTNER ? 'all' : 'tenant';
  const tenant = key === EVERY_PARTNER ? undefined : key;
  try {
    const changes = await o.reconcile(tenant);
    for (const c of changes) {
      o.metrics.changes.inc({ change: c.change });
      o.logger.info({ ...c, afterMs: now() - p.since }, `kafka standing: principal ${c.change}`);
    }
    o.metrics.passes.inc({ scope, outcome: 'ok' });
    return true;
  } catch (err) {
    p.attempts += 1;
    const retryInMs = retryDelayMs(p.attempts, o.retryBaseMs ?? 1_000, o.retryMaxMs ?? 30_000);
    p.dueAt = now() + retryInMs;
    o.metrics.passes.inc({ scope, outcome: 'failed' });
    o.logger.error(
      { err, code: codeOf(err), tenant: tenant ?? null, attempts: p.attempts, retryInMs },
      'kafka standing: pass failed; retrying',
    );
    return false;
  }
}

async function readOrNull(o: StandingWatchOptions): Promise<Standings | null> {
  try {
    const standings = await o.standings();
    o.metrics.passes.inc({ scope: 'read', outcome: 'ok' });
    return standings;
  } catch (err) {
    o.metrics.passes.inc({ scope: 'read', outcome: 'failed' });
    o.logger.error({ err, code: codeOf(err) }, "kafka standing: tenants' standing unreadable; retrying");
    return null;
  }
}

const codeOf = (err: unknown): string => (isModError(err) ? err.code : CliErrorCode.Kafka);

/** `modctl kafka standing --watch`: its settings (durations in milliseconds; `opsPort` null: no ops server). */
export interface StandingWatchRun {
  kafka: Kafka;
  prefix: string;
  pollMs: number;
  fullEveryMs: number;
  opsHost: string;
  opsPort: number | null;
}

/**
 * Runs the watcher as the admin principal until SIGTERM or SIGINT, its log on stdout (JSON lines) and, given a
 * port, `/metrics` and `/health/*` on an ops server (loopback by default), as every service has.
 */
export async function runStandingWatch(r: StandingWatchRun): Promise<number> {
  const logger = createLogger('kafka-standing', process.env['LOG_LEVEL'] ?? 'info');
  const registry = createRegistry('kafka-standing');
  const metrics = createStandingWatchMetrics(registry);
  const by = operator('admin');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await withPool(async (pool) => {
      const ops =
        r.opsPort === null
          ? null
          : createOpsServer({
              registry,
              checks: { database: async () => (await pool.query('select 1'), true) },
            });
      await ops?.listen({ host: r.opsHost, port: r.opsPort ?? 0 });
      logger.info(
        { pollMs: r.pollMs, fullEveryMs: r.fullEveryMs, actor: by.actor },
        'kafka standing: watching',
      );
      try {
        await watchPartnerStanding({
          reconcile: (tenantId) => reconcilePartnerStanding(r.kafka, pool, r.prefix, by, tenantId),
          standings: () => readStandings(pool),
          metrics,
          logger,
          signal: stop.signal,
          pollMs: r.pollMs,
          fullEveryMs: r.fullEveryMs,
        });
      } finally {
        await ops?.close();
      }
      logger.info('kafka standing: stopped');
      return 0;
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
