import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERTS_PATH, ALERTS_TEST_PATH, findTool, PROMETHEUS_CONFIG_PATH } from '../observability-helpers.js';
import { list, obj, str, yamlDocuments } from './deploy-files.js';
import { chart, helm, name, ofKind, podOf, useHelm, type Manifest } from './helm-chart.js';

// What deploy/helm/moderation gives Prometheus, rendered by the real Helm: the scrape annotations on every pod with
// an ops port (the kafka-standing watcher's too), and with the Prometheus Operator (monitoring.*) a PodMonitor per
// Deployment, its job named as the rules expect, and a PrometheusRule made of the one alerts file (the chart's,
// which the demo's Prometheus loads through a link), checked and unit-tested by promtool as rendered.

const { template, render } = useHelm();
const promtool = findTool('promtool');
const workDir = mkdtempSync(join(tmpdir(), 'mod-helm-rules-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
const chartAlerts = join(chart, 'files/alerts.yml');
const operator = ['monitoring.prometheusRule.enabled=true', 'monitoring.podMonitor.enabled=true'];

/** The container port named `ops` of a Deployment's pod. */
const opsPort = (m: Manifest) =>
  list(podOf(m).container['ports'])
    .map(obj)
    .find((p) => p['name'] === 'ops')?.['containerPort'];
const component = (m: Manifest) => str(obj(obj(m['metadata'])['labels'])['app.kubernetes.io/component']);
const jobOf = (monitor: Manifest) =>
  list(obj(list(obj(monitor['spec'])['podMetricsEndpoints'])[0])['relabelings'])
    .map(obj)
    .find((r) => r['targetLabel'] === 'job')?.['replacement'];
const demoJobs = () =>
  list(obj(yamlDocuments(readFileSync(PROMETHEUS_CONFIG_PATH, 'utf8'))[0])['scrape_configs']).map((c) =>
    str(obj(c)['job_name']),
  );

function promtoolRun(args: string[]): string {
  try {
    return execFileSync(promtool ?? 'promtool', args, { cwd: workDir, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe.skipIf(helm === undefined)('deploy/helm/moderation and Prometheus', () => {
  const manifests = helm === undefined ? [] : render();
  const withOperator = helm === undefined ? [] : render(...operator);

  it('annotates every pod with an ops port for scraping there, the kafka-standing watcher on 9106 too', () => {
    const deployments = ofKind(manifests, 'Deployment');
    expect(deployments.map(component).sort()).toEqual(
      ['actioner', 'api', 'classifier', 'fetcher', 'kafka-standing', 'scanner'].sort(),
    );
    for (const d of deployments) {
      const annotations = podOf(d).metadata['annotations'];
      expect(annotations, name(d)).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(opsPort(d)),
        'prometheus.io/path': '/metrics',
      });
    }
    const watcher = deployments.find((d) => component(d) === 'kafka-standing') ?? {};
    expect(opsPort(watcher)).toBe(9106);
    expect(podOf(watcher).metadata['annotations']).toMatchObject({
      'prometheus.io/port': '9106',
    });
    const annotated = ofKind(render('podAnnotations.team=safety'), 'Deployment');
    for (const d of annotated)
      expect(podOf(d).metadata['annotations'], name(d)).toMatchObject({ team: 'safety' });
  });

  it('makes no Prometheus Operator object unless asked (its CRDs may not be installed)', () => {
    expect(manifests.filter((m) => str(m['apiVersion']).startsWith('monitoring.coreos.com/'))).toEqual([]);
  });

  it('has a PodMonitor per Deployment on its ops port, its job the name the rules and the demo use', () => {
    const monitors = ofKind(withOperator, 'PodMonitor');
    const deployments = ofKind(withOperator, 'Deployment');
    expect(monitors.map(name).sort()).toEqual(deployments.map(name).sort());
    for (const d of deployments) {
      const monitor = monitors.find((m) => name(m) === name(d)) ?? {};
      expect(str(monitor['apiVersion'])).toBe('monitoring.coreos.com/v1');
      // It selects this Deployment's pods (its selector's labels), on the port the container names ops.
      expect(obj(obj(monitor['spec'])['selector'])).toEqual(obj(obj(d['spec'])['selector']));
      expect(opsPort(d), name(d)).toBeDefined();
      expect(obj(list(obj(monitor['spec'])['podMetricsEndpoints'])[0])).toMatchObject({
        port: 'ops',
        path: '/metrics',
        interval: '30s',
      });
    }
    // The demo's scrape jobs, one for one: ModServiceDown's up{job=~"mod-.+"} sees every one of them.
    expect(monitors.map(jobOf).sort()).toEqual(demoJobs().sort());

    const labelled = ofKind(
      render(
        ...operator,
        'monitoring.podMonitor.labels.release=kps',
        'monitoring.podMonitor.interval=15s',
        'kafkaStanding.enabled=false',
      ),
      'PodMonitor',
    );
    expect(labelled.map(jobOf)).not.toContain('mod-kafka-standing');
    for (const m of labelled) {
      expect(obj(obj(m['metadata'])['labels'])['release']).toBe('kps');
      expect(obj(list(obj(m['spec'])['podMetricsEndpoints'])[0])['interval']).toBe('15s');
    }
    expect(() => render('monitoring.podMonitor.interval=soon')).toThrow(/interval/);
    expect(() => render('monitoring.serviceMonitor.enabled=true')).toThrow(/serviceMonitor/);
  });

  it("ships the one alerts file as a PrometheusRule: the demo's is a link to the chart's", () => {
    // One source: the path the demo, README and observability tests name resolves to the chart's file.
    expect(realpathSync(ALERTS_PATH)).toBe(realpathSync(chartAlerts));
    const [rule, ...more] = ofKind(withOperator, 'PrometheusRule');
    expect(more).toEqual([]);
    expect(str(rule?.['apiVersion'])).toBe('monitoring.coreos.com/v1');
    const alerts = obj(yamlDocuments(readFileSync(chartAlerts, 'utf8'))[0]);
    expect(obj(rule?.['spec'])['groups']).toEqual(alerts['groups']);
    const labelled = template([
      '--set',
      'monitoring.prometheusRule.enabled=true',
      '--set',
      'monitoring.prometheusRule.labels.release=kps',
    ]);
    expect(obj(obj(ofKind(labelled, 'PrometheusRule')[0]?.['metadata'])['labels'])['release']).toBe('kps');
  });

  it.skipIf(promtool === null)(
    'the rendered rules pass promtool check rules and the alerts unit tests',
    () => {
      const rule = ofKind(withOperator, 'PrometheusRule')[0] ?? {};
      // As the operator hands them to Prometheus: the spec's groups as a rule file, beside the unit tests.
      writeFileSync(join(workDir, 'alerts.yml'), stringify({ groups: obj(rule['spec'])['groups'] }));
      copyFileSync(ALERTS_TEST_PATH, join(workDir, 'alerts.test.yml'));
      const count = list(obj(rule['spec'])['groups']).flatMap((g) => list(obj(g)['rules'])).length;
      expect(count).toBeGreaterThan(0);
      expect(promtoolRun(['check', 'rules', 'alerts.yml'])).toMatch(
        new RegExp(`SUCCESS: ${count} rules found`),
      );
      expect(promtoolRun(['test', 'rules', 'alerts.test.yml'])).toMatch(/SUCCESS/);
    },
  );
});
