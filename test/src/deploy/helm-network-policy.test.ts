import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { describe, expect, it } from 'vitest';
import { list, obj, roles, str } from './deploy-files.js';
import { helm, name, ofKind, podOf, useHelm, type Manifest } from './helm-chart.js';

// The chart's NetworkPolicies, rendered by the real Helm and read as a CNI reads them: which sources reach which
// port of each service's pods. The ops ports (/metrics, the named readiness checks) admit only the peers of
// networkPolicy.opsFrom; the API's public port, networkPolicy.apiFrom (any source when empty). Enforcement itself
// needs a cluster with a policy-enforcing CNI, which this machine has not.

const { template, render } = useHelm();
const namespace = 'moderation';

type Labels = Record<string, string>;
/** A connecting pod: its namespace (and that namespace's labels) and its own labels. */
interface Source {
  namespace: string;
  podLabels: Labels;
}
const source = (ns: string, podLabels: Labels): Source => ({ namespace: ns, podLabels });

/** A LabelSelector against labels; the chart's values give matchLabels only. */
function selects(selector: unknown, labels: Labels): boolean {
  const s = obj(selector);
  if (s['matchExpressions'] !== undefined) throw new Error('matchExpressions: not evaluated by this test');
  return Object.entries(obj(s['matchLabels'])).every(([key, value]) => labels[key] === value);
}

/** Whether a NetworkPolicy peer matches a pod source (NetworkPolicyPeer semantics; ipBlock matches no pod here). */
function peerMatches(peer: Record<string, unknown>, from: Source): boolean {
  if (peer['ipBlock'] !== undefined) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': from.namespace };
  const nsOk =
    peer['namespaceSelector'] === undefined
      ? from.namespace === namespace
      : selects(peer['namespaceSelector'], nsLabels);
  const podOk = peer['podSelector'] === undefined || selects(peer['podSelector'], from.podLabels);
  return nsOk && podOk;
}

/** Whether an ingress-only policy admits a TCP connection from `from` to `port` of the pods it selects. */
function admits(policy: Manifest, from: Source, port: number): boolean {
  return list(obj(policy['spec'])['ingress'])
    .map(obj)
    .some((rule) => {
      const ports = list(rule['ports']).map(obj);
      const peers = list(rule['from']).map(obj);
      // Absent or empty `ports` / `from`: every port / every source.
      const portOk = ports.length === 0 || ports.some((p) => p['port'] === port && p['protocol'] === 'TCP');
      return portOk && (peers.length === 0 || peers.some((peer) => peerMatches(peer, from)));
    });
}

const podLabels = (workload: Manifest): Labels => podOf(workload).metadata['labels'] as Labels;
const containerPorts = (workload: Manifest): number[] =>
  list(podOf(workload).container['ports'])
    .map((p) => Number(obj(p)['containerPort']))
    .sort();
const policyPorts = (policy: Manifest): number[] =>
  list(obj(policy['spec'])['ingress'])
    .flatMap((rule) => list(obj(rule)['ports']))
    .map((p) => Number(obj(p)['port']))
    .sort();

const prometheus = source('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
const grafana = source('monitoring', { 'app.kubernetes.io/name': 'grafana' });
const prometheusElsewhere = source('default', { 'app.kubernetes.io/name': 'prometheus' });
const ingressController = source('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
const peerPod = (manifests: Manifest[], role: string) =>
  source(namespace, podLabels(byName(manifests, 'Deployment', role)));

function byName(manifests: Manifest[], kind: string, role: string): Manifest {
  const found = ofKind(manifests, kind).find((m) => name(m) === `mod-moderation-${role}`);
  expect(found, `${kind} ${role}`).toBeDefined();
  return found ?? {};
}
const opsPortOf = (manifests: Manifest[], role: string) =>
  Number(obj(byName(manifests, 'ConfigMap', role)['data'])['OPS_PORT']);
const apiPortOf = (manifests: Manifest[]) =>
  Number(obj(byName(manifests, 'ConfigMap', 'api')['data'])['API_PORT']);

describe.skipIf(helm === undefined)('NetworkPolicies of deploy/helm/moderation', () => {
  const manifests = helm === undefined ? [] : render();
  const policy = (role: string) => byName(manifests, 'NetworkPolicy', role);

  it('on by default: one ingress-only policy per service, selecting exactly its pods', () => {
    // And the kafka-standing job's, which limits its egress too (helm-kafka-standing.test.ts).
    expect(ofKind(manifests, 'NetworkPolicy').map(name).sort()).toEqual(
      [...roles.map((r) => `mod-moderation-${r}`), 'mod-moderation-kafka-standing'].sort(),
    );
    for (const role of roles) {
      const spec = obj(policy(role)['spec']);
      expect(obj(spec['podSelector'])['matchLabels'], role).toEqual(
        podLabels(byName(manifests, 'Deployment', role)),
      );
      // Egress is left open: the services reach Kafka, PostgreSQL, the collector and the web.
      expect(spec['policyTypes'], role).toEqual(['Ingress']);
      expect(spec['egress'], role).toBeUndefined();
      expect(() => new NetworkPolicy(policy(role) as never).validate(), role).not.toThrow();
      // Each Deployment's pods are selected by their own policy only.
      const selecting = ofKind(manifests, 'NetworkPolicy').filter((p) =>
        selects(obj(p['spec'])['podSelector'], podLabels(byName(manifests, 'Deployment', role))),
      );
      expect(selecting.map(name), role).toEqual([`mod-moderation-${role}`]);
    }
  });

  it.each(roles)('%s: opens exactly the ports its container listens on, none other', (role) => {
    const expected =
      role === 'api' ? [apiPortOf(manifests), opsPortOf(manifests, role)] : [opsPortOf(manifests, role)];
    expect(policyPorts(policy(role))).toEqual(expected.sort());
    expect(containerPorts(byName(manifests, 'Deployment', role))).toEqual(expected.sort());
    expect(admits(policy(role), prometheus, 9999)).toBe(false);
  });

  it.each(roles)(
    '%s: the ops port admits Prometheus of the monitoring namespace, and no other pod',
    (role) => {
      const ops = opsPortOf(manifests, role);
      expect(admits(policy(role), prometheus, ops)).toBe(true);
      expect(admits(policy(role), grafana, ops)).toBe(false);
      expect(admits(policy(role), prometheusElsewhere, ops)).toBe(false);
      expect(admits(policy(role), ingressController, ops)).toBe(false);
      // The other services of the release do not scrape each other.
      for (const other of roles)
        expect(admits(policy(role), peerPod(manifests, other), ops), other).toBe(false);
    },
  );

  it("the API's public port stays open to any source by default (the ingress, in-cluster clients)", () => {
    const port = apiPortOf(manifests);
    for (const from of [ingressController, prometheusElsewhere, grafana, peerPod(manifests, 'fetcher')])
      expect(admits(policy('api'), from, port), from.namespace).toBe(true);
  });

  it('apiFrom narrows the public port to the named peers, and leaves the ops port as it was', () => {
    const narrowed = template([
      '--set-json',
      'networkPolicy.apiFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]',
    ]);
    const api = byName(narrowed, 'NetworkPolicy', 'api');
    expect(() => new NetworkPolicy(api as never).validate()).not.toThrow();
    const port = apiPortOf(narrowed);
    expect(admits(api, ingressController, port)).toBe(true);
    expect(admits(api, prometheusElsewhere, port)).toBe(false);
    expect(admits(api, peerPod(narrowed, 'fetcher'), port)).toBe(false);
    expect(admits(api, prometheus, opsPortOf(narrowed, 'api'))).toBe(true);
    expect(admits(api, ingressController, opsPortOf(narrowed, 'api'))).toBe(false);
  });

  it('opsFrom names who scrapes; empty, it admits no pod to the ops ports', () => {
    const collector = source('observability', { app: 'otel-collector' });
    const custom = template([
      '--set-json',
      'networkPolicy.opsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"observability"}},"podSelector":{"matchLabels":{"app":"otel-collector"}}}]',
    ]);
    for (const role of roles) {
      const ops = opsPortOf(custom, role);
      expect(admits(byName(custom, 'NetworkPolicy', role), collector, ops), role).toBe(true);
      expect(admits(byName(custom, 'NetworkPolicy', role), prometheus, ops), role).toBe(false);
    }

    const closed = template(['--set-json', 'networkPolicy.opsFrom=[]']);
    for (const role of roles) {
      const closedPolicy = byName(closed, 'NetworkPolicy', role);
      expect(() => new NetworkPolicy(closedPolicy as never).validate(), role).not.toThrow();
      expect(admits(closedPolicy, prometheus, opsPortOf(closed, role)), role).toBe(false);
      // Still isolating: an empty rule list admits nothing (a missing policy would admit everything).
      if (role !== 'api') expect(obj(closedPolicy['spec'])['ingress'], role).toEqual([]);
    }
    expect(admits(byName(closed, 'NetworkPolicy', 'api'), ingressController, apiPortOf(closed))).toBe(true);
  });

  it('networkPolicy.enabled=false renders none, and leaves the rest as it was', () => {
    const off = render('networkPolicy.enabled=false');
    expect(ofKind(off, 'NetworkPolicy')).toEqual([]);
    expect(off.map((m) => `${str(m['kind'])}/${name(m)}`).sort()).toEqual(
      manifests
        .filter((m) => m['kind'] !== 'NetworkPolicy')
        .map((m) => `${str(m['kind'])}/${name(m)}`)
        .sort(),
    );
  });

  it('refuses a misspelt setting and an empty peer (the API server would refuse it at install)', () => {
    expect(() => render('networkPolicy.opsFrm=x')).toThrow(/opsFrm/);
    expect(() => template(['--set-json', 'networkPolicy.opsFrom=[{}]'])).toThrow(/opsFrom/);
    expect(() => template(['--set-json', 'networkPolicy.apiFrom=[{"podSelectr":{}}]'])).toThrow(/podSelectr/);
  });
});
