import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Registry } from '@mod/telemetry';
import { parse } from 'yaml';

/** The observability files under `deploy/observability` (the dashboard, the rules, their tests, the scrape config). */
export const OBSERVABILITY_DIR = fileURLToPath(new URL('../../deploy/observability/', import.meta.url));
export const DASHBOARD_PATH = `${OBSERVABILITY_DIR}grafana/moderation-pipeline.json`;
export const PROMETHEUS_DIR = `${OBSERVABILITY_DIR}prometheus/`;
export const ALERTS_PATH = `${PROMETHEUS_DIR}alerts.yml`;
export const ALERTS_TEST_PATH = `${PROMETHEUS_DIR}alerts.test.yml`;
export const PROMETHEUS_CONFIG_PATH = `${PROMETHEUS_DIR}prometheus.yml`;

/** A Grafana dashboard panel as far as the tests read it. */
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  [field: string]: unknown;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { type?: string; uid?: string } }[];
  fieldConfig?: { defaults?: { unit?: string }; overrides?: unknown[] };
  panels?: DashboardPanel[];
}

export interface Dashboard {
  [field: string]: unknown;
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: string }[] };
  panels: DashboardPanel[];
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

export function loadRules(): RuleFile {
  return parse(readFileSync(ALERTS_PATH, 'utf8')) as RuleFile;
}

export function alertRules(rules: RuleFile = loadRules()): AlertRule[] {
  return rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
}

/** Every panel, rows' nested panels included. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Grafana's interval variables, replaced by a fixed range so that Prometheus can run the expression. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m');
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression selects. Enough of PromQL for the dashboard and the rules: strings, label
 * matchers, ranges, grouping clauses and function calls are removed; what remains as a bare identifier is a
 * metric name.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = withoutGrafanaVariables(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const name = m[1] as string;
    if (!PROMQL_KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names].sort();
}

/** Series Prometheus makes itself (per target and for alerts), not registered by any service. */
export const PROMETHEUS_SERIES = new Set([
  'up',
  'ALERTS',
  'ALERTS_FOR_STATE',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
]);

/** Every series name the registries expose, histograms and summaries with their `_bucket`/`_sum`/`_count`. */
export async function registeredSeriesNames(registries: readonly Registry[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of registries) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      const type = String(metric.type);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(metric.name + s);
    }
  }
  return names;
}

/** The path of a Debian `prometheus` package tool, or null when it is not installed. */
export function findTool(name: 'promtool' | 'prometheus'): string | null {
  try {
    execFileSync(name, ['--version'], { stdio: 'pipe' });
    return name;
  } catch {
    return null;
  }
}
