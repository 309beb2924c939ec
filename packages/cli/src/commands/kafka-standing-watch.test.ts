import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { createLogger, createRegistry } from '@mod/telemetry';
import { operator } from './curator.js';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { reconcilePartnerStanding } from './kafka-standing.js';
import {
  createStandingWatchMetrics,
  readStandings,
  retryDelayMs,
  standingChanges,
  watchPartnerStanding,
} from './kafka-standing-watch.js';
import { refused, usePartnerStanding } from './kafka-standing.test-helper.js';
import { db, runExpecting } from './modctl-database.test-helper.js';
import { tenantCommand } from './tenant.js';

// The standing watcher (`modctl kafka standing --watch`): a tenant an admin disables loses its partner principal's
// produce on the broker without anyone running `modctl kafka standing`, and gets it back when enabled; a pass the
// broker fails is logged, counted and retried until it holds. Against the real broker and PostgreSQL, with a
// partner principal of this file's own on topics of its own prefix.
const tenant = 'platform-watched';
const principal = 'modctl-standing-watched';
const { prefix, produce } = usePartnerStanding(tenant, principal);

/** Polls `probe` until it answers true; fails after `timeoutMs` (a bound, not a speed asserted). */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A watcher running in the background on this file's world; `failFirst` passes for the tenant fail first. */
function startWatcher(failFirst = 0) {
  const stop = new AbortController();
  const registry = createRegistry('kafka-standing-test');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const { kafka } = kafkaFromEnv();
  let failures = failFirst;
  const running = watchPartnerStanding({
    reconcile: async (tenantId) => {
      if (tenantId === tenant && failures-- > 0) throw new Error('the broker is unreachable');
      return reconcilePartnerStanding(kafka, db.pool, prefix, operator('admin'), tenantId);
    },
    standings: () => readStandings(db.pool),
    metrics: createStandingWatchMetrics(registry),
    logger: createLogger('kafka-standing', 'info', sink),
    signal: stop.signal,
    pollMs: 50,
    fullEveryMs: 3_600_000,
    retryBaseMs: 20,
    retryMaxMs: 200,
  });
  const metric = async (name: string, labels: Record<string, string>) => {
    const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  };
  return {
    lines,
    metric,
    stop: async () => {
      stop.abort();
      await running;
    },
  };
}

let watcher: ReturnType<typeof startWatcher> | undefined;
afterEach(async () => watcher?.stop());

const tenantSwitch = (to: 'disable' | 'enable') => runExpecting(tenantCommand, [to, '--id', tenant], 0);
const suspensions = async () =>
  (await listAudit(db.pool))
    .filter((r) => r.subject.id === tenant && r.action.startsWith('kafka.partner.'))
    .map((r) => [r.action, r.actor.id]);

describe('modctl kafka standing --watch', () => {
  it("suspends a disabled tenant's principal and restores it once enabled, with no standing run by hand", async () => {
    await runExpecting(kafkaCommand, ['partner', 'grant', '--tenant', tenant, '--principal', principal], 0);
    watcher = startWatcher();
    expect(await produce()).toBeNull();

    await tenantSwitch('disable');
    await eventually('the broker refusing the disabled partner', async () =>
      refused.test((await produce()) ?? ''),
    );
    await tenantSwitch('enable');
    await eventually('the broker taking the enabled partner again', async () => (await produce()) === null);

    expect(await watcher.metric('mod_kafka_standing_changes_total', { change: 'suspended' })).toBe(1);
    expect(await watcher.metric('mod_kafka_standing_changes_total', { change: 'restored' })).toBe(1);
    expect(await suspensions()).toEqual([
      ['kafka.partner.granted', 'modctl:ops'],
      ['kafka.partner.suspended', 'modctl:ops'],
      ['kafka.partner.restored', 'modctl:ops'],
    ]);
  });

  it('retries a pass the broker failed, logging and counting each failure, until the suspension holds', async () => {
    watcher = startWatcher(3);
    await tenantSwitch('disable');
    await eventually('the broker refusing the disabled partner', async () =>
      refused.test((await produce()) ?? ''),
    );

    expect(
      await watcher.metric('mod_kafka_standing_passes_total', { scope: 'tenant', outcome: 'failed' }),
    ).toBe(3);
    expect(await watcher.metric('mod_kafka_standing_passes_total', { scope: 'tenant', outcome: 'ok' })).toBe(
      1,
    );
    const failed = watcher.lines.filter((l) => l['msg'] === 'kafka standing: pass failed; retrying');
    expect(failed.map((l) => [l['level'], l['tenant'], l['attempts'], l['code']])).toEqual([
      ['error', tenant, 1, 'MOD_ERR_CLI_KAFKA'],
      ['error', tenant, 2, 'MOD_ERR_CLI_KAFKA'],
      ['error', tenant, 3, 'MOD_ERR_CLI_KAFKA'],
    ]);
    expect(watcher.lines.filter((l) => l['change'] === 'suspended').map((l) => l['tenant'])).toEqual([
      tenant,
    ]);
    await tenantSwitch('enable');
    await eventually('the broker taking the enabled partner again', async () => (await produce()) === null);
  });
});

describe('the watcher’s rules', () => {
  it('refuses settings that are not positive integers, or a port out of range, before it starts', async () => {
    for (const bad of [
      ['--poll-ms', '0'],
      ['--full-every-s', 'x'],
      ['--ops-port', '70000'],
    ]) {
      const run = await runExpecting(kafkaCommand, ['standing', '--watch', ...bad], 2);
      expect(run.err.join('\n')).toMatch(/--poll-ms and --full-every-s take positive integers/);
    }
  });

  it('names the tenants whose standing changed, appeared or went', () => {
    const before = new Map([
      ['a', 'isp:false'],
      ['b', 'platform:false'],
      ['c', 'isp:true'],
    ]);
    const after = new Map([
      ['a', 'isp:false'],
      ['b', 'platform:true'],
      ['d', 'isp:false'],
    ]);
    expect(standingChanges(before, after)).toEqual(['b', 'c', 'd']);
    expect(standingChanges(after, after)).toEqual([]);
  });

  it('doubles the wait between retries up to its bound', () => {
    expect([1, 2, 3, 4, 5, 6, 60].map((n) => retryDelayMs(n, 1_000, 30_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});
