import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERTS_PATH,
  ALERTS_TEST_PATH,
  PROMETHEUS_CONFIG_PATH,
  PROMETHEUS_DIR,
  alertRules,
  allPanels,
  findTool,
  loadDashboard,
  metricNamesIn,
} from './observability-helpers.js';

// The fields of Grafana's dashboard model (schema `kinds/dashboard`, classic JSON; schemaVersion 41). A field
// outside these lists is a typo or a field of another schema version that Grafana would silently drop.
const DASHBOARD_FIELDS = new Set([
  'id',
  'uid',
  'title',
  'description',
  'revision',
  'gnetId',
  'tags',
  'timezone',
  'editable',
  'graphTooltip',
  'time',
  'timepicker',
  'fiscalYearStartMonth',
  'liveNow',
  'weekStart',
  'refresh',
  'schemaVersion',
  'version',
  'panels',
  'templating',
  'annotations',
  'links',
  'preload',
]);
const PANEL_FIELDS = new Set([
  'type',
  'id',
  'pluginVersion',
  'targets',
  'title',
  'description',
  'transparent',
  'datasource',
  'gridPos',
  'links',
  'repeat',
  'repeatDirection',
  'maxPerRow',
  'maxDataPoints',
  'transformations',
  'interval',
  'timeFrom',
  'timeShift',
  'hideTimeOverride',
  'libraryPanel',
  'cacheTimeout',
  'queryCachingTTL',
  'options',
  'fieldConfig',
]);
const ROW_FIELDS = new Set(['type', 'id', 'title', 'collapsed', 'datasource', 'gridPos', 'panels', 'repeat']);
// Core panel types only: the dashboard must load without plugins.
const PANEL_TYPES = new Set(['timeseries', 'stat']);
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

describe('Grafana dashboard (deploy/observability/grafana)', () => {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const queries = panels.filter((p) => p.type !== 'row');

  it('is a current-schema dashboard with only known fields, a uid, and a Prometheus data source variable', () => {
    expect(Object.keys(dashboard).filter((k) => !DASHBOARD_FIELDS.has(k))).toEqual([]);
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.title).not.toBe('');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }),
    );
  });

  it('has unique panel ids, known fields and types, and a layout inside the 24-column grid without overlaps', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const taken = new Set<string>();
    for (const p of panels) {
      const allowed = p.type === 'row' ? ROW_FIELDS : PANEL_FIELDS;
      expect(
        Object.keys(p).filter((k) => !allowed.has(k)),
        `panel ${p.id}`,
      ).toEqual([]);
      if (p.type !== 'row') expect(PANEL_TYPES.has(p.type), `panel ${p.id} type ${p.type}`).toBe(true);
      expect(p.title, `panel ${p.id}`).not.toBe('');
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && h > 0 && x + w <= 24, `panel ${p.id} gridPos`).toBe(true);
      for (let cx = x; cx < x + w; cx++)
        for (let cy = y; cy < y + h; cy++) {
          expect(taken.has(`${cx},${cy}`), `panel ${p.id} overlaps at ${cx},${cy}`).toBe(false);
          taken.add(`${cx},${cy}`);
        }
    }
  });

  it('queries the templated Prometheus data source with one PromQL expression per refId, and sets a unit', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const p of queries) {
      expect(p.datasource, `panel ${p.id}`).toEqual(DATASOURCE);
      expect(p.targets?.length, `panel ${p.id}`).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, `panel ${p.id} refIds`).toBe(refIds.length);
      for (const t of p.targets ?? []) {
        expect(t.datasource, `panel ${p.id}`).toEqual(DATASOURCE);
        expect(t.expr.trim(), `panel ${p.id}`).not.toBe('');
      }
      expect(p.fieldConfig?.defaults?.unit, `panel ${p.id}`).toBeTypeOf('string');
    }
  });

  it('shows throughput, lag, step latency, overdue orders, dead letters, index size, classifier queue, outbox', () => {
    const shown = new Set(queries.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr))));
    for (const name of [
      'mod_step_outcomes_total',
      'mod_actioner_orders_total',
      'mod_step_message_age_seconds_bucket',
      'mod_step_duration_seconds_bucket',
      'mod_orders_overdue',
      'mod_scanner_bank_entries',
      'mod_scanner_pool_queue_size',
      'mod_classifier_queue_size',
      'mod_classifier_classifications_total',
      'mod_api_outbox_pending',
    ])
      expect(shown, name).toContain(name);
    const exprs = queries.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.some((e) => e.includes('outcome="dlq"'))).toBe(true);
  });

  it('reads metric names out of PromQL (the check the live test applies to every expression)', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (step, le) (rate(mod_a_bucket{step="x", le!="1"}[$__rate_interval])))',
      ),
    ).toEqual(['mod_a_bucket']);
    expect(
      metricNamesIn('sum(rate(a_total[5m] offset 1h)) / on(job) group_left(x) b > 1e3 and bool c'),
    ).toEqual(['a_total', 'b', 'c']);
    expect(metricNamesIn('ALERTS{alertstate="firing", alertname=~"Mod.+"}')).toEqual(['ALERTS']);
  });
});

describe('Prometheus rules and scrape config (deploy/observability/prometheus)', () => {
  const rules = alertRules();
  const promtool = findTool('promtool');
  if (promtool === null)
    console.warn(
      'promtool not found (Debian package `prometheus`; deploy/local/lib.sh installs it): promtool checks skipped',
    );

  it('gives every alert a unique name, a severity, and summary and description in Vietnamese and English', () => {
    expect(rules.length).toBeGreaterThanOrEqual(6);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(['critical', 'warning'], `${r.alert} severity`).toContain(r.labels?.['severity']);
      for (const key of ['summary', 'summary_en', 'description', 'description_en'])
        expect(r.annotations?.[key]?.trim(), `${r.alert} ${key}`).toBeTruthy();
    }
    // The Vietnamese texts are Vietnamese (they carry its diacritics), the English ones are not copies of them.
    for (const r of rules) {
      expect(r.annotations?.['summary'], r.alert).toMatch(
        /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i,
      );
      expect(r.annotations?.['summary_en']).not.toBe(r.annotations?.['summary']);
    }
  });

  it('covers the issue: dead letters, overdue orders, message age, a service down, intake outbox, readiness', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    expect(exprs).toMatch(/mod_step_outcomes_total\{outcome="dlq"\}/);
    expect(exprs).toMatch(/mod_orders_overdue/);
    expect(exprs).toMatch(/mod_step_message_age_seconds_bucket/);
    expect(exprs).toMatch(/up\{job=~"mod-\.\+"\} == 0/);
    expect(exprs).toMatch(/mod_api_outbox_pending\{outbox="media"\}/);
    expect(exprs).toMatch(/mod_readiness_check_success/);
  });

  it('covers the tenant standing watcher and the audit text retention pass: failures, and work left undone', () => {
    const exprs = rules.map((r) => r.expr).join('\n');
    expect(exprs).toMatch(/mod_kafka_standing_oldest_pending_seconds/);
    expect(exprs).toMatch(/mod_kafka_standing_passes_total\{outcome="failed"\}/);
    expect(exprs).toMatch(/mod_api_audit_text_retention_passes_total\{outcome="failed"\}/);
    expect(exprs).toMatch(
      /time\(\) - max by \(job\) \(mod_api_audit_text_retention_last_run_timestamp_seconds > 0\)/,
    );
  });

  it('has a promtool unit test in which every alert fires', () => {
    const tests = parse(readFileSync(ALERTS_TEST_PATH, 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname),
      ),
    );
    expect([...fired].sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it('scrapes the five services and the standing watcher under the job names the rules select (mod-<service>)', () => {
    const config = parse(readFileSync(PROMETHEUS_CONFIG_PATH, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(
      Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]?.targets])),
    ).toEqual({
      // The API's ops server (demo.sh API_OPS_PORT), never its public port.
      'mod-api': ['127.0.0.1:9105'],
      'mod-scanner': ['127.0.0.1:9101'],
      'mod-actioner': ['127.0.0.1:9102'],
      'mod-fetcher': ['127.0.0.1:9103'],
      'mod-classifier': ['127.0.0.1:9104'],
      // The tenant standing watcher's ops server (demo.sh STANDING_OPS_PORT).
      'mod-kafka-standing': ['127.0.0.1:9106'],
    });
  });

  const run = (args: string[]): string => {
    try {
      return execFileSync(promtool ?? 'promtool', args, {
        cwd: PROMETHEUS_DIR,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };

  it.skipIf(promtool === null)('passes `promtool check rules`', () => {
    expect(run(['check', 'rules', ALERTS_PATH])).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it.skipIf(promtool === null)('passes `promtool check config` (rule files included)', () => {
    expect(run(['check', 'config', PROMETHEUS_CONFIG_PATH])).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
  });

  it.skipIf(promtool === null)('passes `promtool test rules alerts.test.yml`', () => {
    expect(run(['test', 'rules', ALERTS_TEST_PATH])).toMatch(/SUCCESS/);
  });
});
