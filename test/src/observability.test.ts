import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createStandingWatchMetrics } from '@mod/cli';
import { createOpsServer, createRegistry } from '@mod/telemetry';
import { tenantWithKey } from '@mod/testing';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import { listenOnLoopback, makePhoto, multipart, waitFor } from './helpers.js';
import { startFetcher, type StartedFetcher } from './isp-helpers.js';
import {
  PROMETHEUS_CONFIG_PATH,
  PROMETHEUS_SERIES,
  alertRules,
  allPanels,
  findTool,
  loadDashboard,
  loadRules,
  metricNamesIn,
  registeredSeriesNames,
  withoutGrafanaVariables,
} from './observability-helpers.js';

// The services run in this process (api, scanner, actioner, fetcher, classifier), each exposing /metrics on a loopback port
// as in production: on its ops server (the API's public port answers /metrics 404). The tenant standing watcher's
// metrics (`modctl kafka standing --watch`) are registered as the watcher registers them, on an ops server of their
// own. A real Prometheus (Debian's `prometheus`) scrapes them every second and evaluates the real alerting rules,
// with every `for` set to 0s.

usePipelineWorld({}, { classifier: true });
let fetcher: StartedFetcher;
const ops: FastifyInstance[] = [];
/** host:port of each service's /metrics, by scrape job. */
const targets: Record<string, string> = {};
let platformKey: string;
/** The standing watcher's registry, its metrics registered by @mod/cli as `modctl kafka standing --watch` does. */
const standing = createRegistry('kafka-standing');
createStandingWatchMetrics(standing);

const prometheusBinary = findTool('prometheus');
if (prometheusBinary === null)
  console.warn(
    'prometheus not found (Debian package `prometheus`; deploy/local/lib.sh installs it): the scrape test is skipped',
  );

/** host:port of an app listening on loopback: what a Prometheus scrape target names. */
const listen = async (app: FastifyInstance): Promise<string> => new URL(await listenOnLoopback(app)).host;

beforeAll(async () => {
  fetcher = await startFetcher(world, {});
  // As main.ts serves them: the API's metrics with its readiness (shared with its public probes), the workers'.
  for (const [job, options] of [
    ['mod-api', { registry: pipeline.registries.api, readiness: pipeline.api.readiness }],
    ['mod-scanner', { registry: pipeline.registries.scanner, checks: pipeline.scanner.checks }],
    ['mod-actioner', { registry: pipeline.registries.actioner, checks: pipeline.actioner.checks }],
    ['mod-fetcher', { registry: fetcher.registry, checks: fetcher.service.checks }],
    [
      'mod-classifier',
      { registry: pipeline.registries.classifier, checks: pipeline.classifier?.checks ?? {} },
    ],
    ['mod-kafka-standing', { registry: standing, checks: {} }],
  ] as const) {
    const app = createOpsServer(options);
    ops.push(app);
    targets[job] = await listen(app);
  }
  platformKey = await tenantWithKey(world.db, { id: 'platform-1', kind: 'platform', role: 'platform' });
});

afterAll(async () => {
  await Promise.all(ops.map((app) => app.close()));
  await fetcher?.service.stop();
});

describe('dashboard and rules against the services that really run', () => {
  it('refer only to metrics the running services register (or Prometheus makes)', async () => {
    const registered = await registeredSeriesNames([
      pipeline.registries.api,
      pipeline.registries.scanner,
      pipeline.registries.actioner,
      pipeline.registries.classifier,
      fetcher.registry,
      standing,
    ]);
    const known = (name: string) => registered.has(name) || PROMETHEUS_SERIES.has(name);
    const used = [
      ...allPanels(loadDashboard()).flatMap((p) =>
        (p.targets ?? []).map((t) => ({ where: `panel ${p.id} "${p.title}"`, expr: t.expr })),
      ),
      ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ];
    expect(used.length).toBeGreaterThan(20);
    const unknown = used.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !known(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // The metrics this work added are among them.
    for (const name of [
      'mod_step_message_age_seconds_bucket',
      'mod_readiness_check_success',
      'mod_scanner_pool_queue_size',
      'mod_kafka_standing_oldest_pending_seconds',
      'mod_api_audit_text_retention_last_run_timestamp_seconds',
    ])
      expect(registered).toContain(name);
  });
});

describe.skipIf(prometheusBinary === null)('a real Prometheus scraping the pipeline', () => {
  let dir: string;
  let prometheus: ChildProcess;
  let base: string;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mod-prometheus-'));
    // The test copy of the real files: the same rules with every `for` at 0s, the same jobs at this test's ports.
    const rules = loadRules();
    for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.for !== undefined) rule.for = '0s';
    writeFileSync(join(dir, 'alerts.yml'), stringify(rules));
    const config = parse(readFileSync(PROMETHEUS_CONFIG_PATH, 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    config.global['scrape_interval'] = '1s';
    config.global['evaluation_interval'] = '1s';
    config.rule_files = [join(dir, 'alerts.yml')];
    for (const job of config.scrape_configs) {
      const target = targets[job.job_name];
      if (target === undefined) throw new Error(`no service for scrape job ${job.job_name}`);
      job.static_configs = [{ targets: [target] }];
    }
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      prometheusBinary ?? 'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    await waitFor('Prometheus to be ready', async () => {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited ${prometheus.exitCode}: ${log}`);
      return (await fetch(`${base}/-/ready`).catch(() => null))?.ok;
    });
  });

  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = (expr: string) =>
    api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );

  it('scrapes every service, loads every rule, and raises ModDeadLetters when the scanner dead-letters', async () => {
    // Every target up, and the scanner's dead-letter count scraped at 0 before anything happens.
    await waitFor('every target up', async () => {
      const up = await query('up{job=~"mod-.+"} == 1');
      return up.result.length === Object.keys(targets).length;
    });
    // The API's own series come from its ops server (its public port has no /metrics).
    await waitFor("the API's outbox gauge scraped", async () => {
      const r = await query('mod_api_outbox_pending{job="mod-api"}');
      return r.result.length === 2;
    });
    await waitFor('the dead-letter count scraped at 0', async () => {
      const r = await query('mod_step_outcomes_total{job="mod-scanner",step="scan",outcome="dlq"}');
      return r.result.length === 1 && r.result[0]?.value[1] === '0';
    });
    const groups = await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
      '/api/v1/rules?type=alert',
    );
    const loaded = groups.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    expect(await activeAlerts('ModDeadLetters')).toEqual([]);

    // A corrupt image through the API: the scanner dead-letters it.
    const good = await makePhoto(99);
    const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 0x41)]);
    const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes: corrupt });
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...body.headers, authorization: `Bearer ${platformKey}` },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(202);

    const firing = await waitFor('ModDeadLetters to fire', async () => {
      const alerts = await activeAlerts('ModDeadLetters');
      return alerts.find((a) => a.state === 'firing');
    });
    expect(firing.labels).toMatchObject({ alertname: 'ModDeadLetters', service: 'scanner', step: 'scan' });
    expect(firing.annotations['summary_en']).toBe('Step scan is dead-lettering messages');
    expect(firing.annotations['description']).toContain('CHƯA được quét');
    // The message's age at pickup was recorded and scraped; no service went down meanwhile.
    await waitFor('the message age scraped', async () => {
      const r = await query('mod_step_message_age_seconds_count{job="mod-scanner",step="scan"} > 0');
      return r.result.length === 1;
    });
    expect(await activeAlerts('ModServiceDown')).toEqual([]);
    // Every rule evaluated without error against the real series.
    const after = await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
      '/api/v1/rules?type=alert',
    );
    expect(after.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err')).toEqual([]);
  });

  it("runs every dashboard panel's expression without error", async () => {
    const exprs = allPanels(loadDashboard()).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const expr of exprs) await expect(query(withoutGrafanaVariables(expr)), expr).resolves.toBeDefined();
    // The throughput panels have data: the scanner's outcome rate over the last minute is there.
    const scanned = await query('sum by (outcome) (rate(mod_step_outcomes_total{step="scan"}[1m]))');
    expect(scanned.result.map((r) => r.metric['outcome']).sort()).toEqual(['dlq', 'drop', 'ok', 'retry']);
  });

  async function activeAlerts(name: string) {
    const data = await api<{
      alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[];
    }>('/api/v1/alerts');
    return data.alerts.filter((a) => a.labels['alertname'] === name);
  }
});

/** A free loopback port (released before Prometheus binds it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
