import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from '@mod/db';
import { listAudit } from '@mod/db/audit';
import { createLogger, createRegistry } from '@mod/telemetry';
import { operator } from './curator.js';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { reconcilePartnerStanding } from './kafka-standing.js';
import { createStandingWatchMetrics, readStandings, watchPartnerStanding } from './kafka-standing-watch.js';
import { refused, usePartnerStanding } from './kafka-standing.test-helper.js';
import { db, runExpecting } from './modctl-database.test-helper.js';
import { tenantCommand } from './tenant.js';

// The standing watcher while PostgreSQL terminates its connections (`pg_terminate_backend`, as a failover or an
// operator does) during its reads and passes: a disable seen meanwhile is applied once the database answers again,
// on record once, and the watcher goes on to an enable.
const tenant = 'platform-watched-faults';
const principal = 'modctl-standing-faults';
const { prefix, produce } = usePartnerStanding(tenant, principal);
const app = `standing-faults-${crypto.randomUUID().slice(0, 8)}`;

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('modctl kafka standing --watch, its database connections terminated', () => {
  const stop = new AbortController();
  afterAll(() => stop.abort());

  it('applies a disable and an enable seen while its connections are terminated, each on record once', async () => {
    await runExpecting(kafkaCommand, ['partner', 'grant', '--tenant', tenant, '--principal', principal], 0);
    const pool = createPool({
      connectionString: db.connectionString,
      schema: db.schema,
      applicationName: app,
    });
    const registry = createRegistry('kafka-standing-faults');
    const metrics = createStandingWatchMetrics(registry);
    const { kafka } = kafkaFromEnv();
    const running = watchPartnerStanding({
      reconcile: (tenantId) => reconcilePartnerStanding(kafka, pool, prefix, operator('admin'), tenantId),
      standings: () => readStandings(pool),
      metrics,
      logger: createLogger('kafka-standing', 'silent'),
      signal: stop.signal,
      pollMs: 10,
      fullEveryMs: 3_600_000,
      retryBaseMs: 10,
      retryMaxMs: 50,
    });
    const failed = async () =>
      ((await registry.getSingleMetric('mod_kafka_standing_passes_total')?.get())?.values ?? [])
        .filter((v) => v.labels['outcome'] === 'failed')
        .reduce((n, v) => n + v.value, 0);
    let killed = 0;
    /** Terminates the watcher's backends until `n` more of its passes or reads failed. */
    const terminateUntilFailed = async (n: number) => {
      const target = (await failed()) + n;
      await eventually('failed passes', async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1`,
          [app],
        );
        killed += rows[0]?.n ?? 0;
        return (await failed()) >= target;
      });
    };
    try {
      expect(await produce()).toBeNull();
      const disabling = runExpecting(tenantCommand, ['disable', '--id', tenant], 0);
      await terminateUntilFailed(3);
      await disabling;
      await terminateUntilFailed(3);
      await eventually('the broker refusing the disabled partner', async () =>
        refused.test((await produce()) ?? ''),
      );
      const enabling = runExpecting(tenantCommand, ['enable', '--id', tenant], 0);
      await terminateUntilFailed(3);
      await enabling;
      await terminateUntilFailed(3);
      await eventually('the broker taking the enabled partner again', async () => (await produce()) === null);
      expect(killed).toBeGreaterThan(0);
      const records = (await listAudit(db.pool))
        .filter((r) => r.subject.id === tenant && r.action.startsWith('kafka.partner.'))
        .map((r) => r.action);
      expect(records).toEqual(['kafka.partner.granted', 'kafka.partner.suspended', 'kafka.partner.restored']);
    } finally {
      stop.abort();
      await running;
      await pool.end();
    }
  }, 120_000);
});
