import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import {
  credentialKeys,
  list,
  obj,
  roles,
  settingsAgainstSpec,
  specs,
  str,
  yamlDocuments,
} from './deploy-files.js';
import { chart, containerEnv, expectUnprivileged, helm, name, ofKind, podOf, useHelm } from './helm-chart.js';

// deploy/helm/moderation: linted and rendered by the real Helm (deploy/local/lib.sh ensure_deploy_tools), each
// rendered object validated against the Kubernetes API schemas (kubernetes-models), and the wiring checked
// against the services: settings their specs know, credentials from Secrets, probes on their ops routes.
// Installing the chart needs a cluster, which this machine has not (deploy/README.md). The NetworkPolicies:
// helm-network-policy.test.ts; the kafka-standing watcher: helm-kafka-standing.test.ts.

const { run: runHelm, render } = useHelm();

const models = {
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  CronJob,
  NetworkPolicy,
  PodDisruptionBudget,
  ConfigMap,
  Service,
} as const satisfies Record<string, new (data: never) => { validate(): void }>;

describe.skipIf(helm === undefined)('Helm chart deploy/helm/moderation', () => {
  const manifests = helm === undefined ? [] : render();
  const deployment = (role: string) =>
    ofKind(manifests, 'Deployment').find((m) => name(m) === `mod-moderation-${role}`) ?? {};

  it('passes helm lint --strict', () => {
    const result = runHelm(['lint', '--strict', chart]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders only objects that the Kubernetes API schemas accept', () => {
    expect(manifests.map((m) => `${str(m['kind'])}/${name(m)}`).sort()).toEqual(
      [
        ...roles.flatMap((r) => [
          `Deployment/mod-moderation-${r}`,
          `NetworkPolicy/mod-moderation-${r}`,
          `PodDisruptionBudget/mod-moderation-${r}`,
        ]),
        ...roles.map((r) => `ConfigMap/mod-moderation-${r}`),
        'ConfigMap/mod-moderation-common',
        ...['api', 'scanner', 'classifier', 'fetcher'].map(
          (r) => `HorizontalPodAutoscaler/mod-moderation-${r}`,
        ),
        'Job/mod-moderation-kafka-setup',
        // modctl kafka standing --watch, and its policy: helm-kafka-standing.test.ts.
        'Deployment/mod-moderation-kafka-standing',
        'NetworkPolicy/mod-moderation-kafka-standing',
        'Service/mod-moderation-api',
      ].sort(),
    );
    for (const manifest of manifests) {
      const Model = models[str(manifest['kind']) as keyof typeof models];
      expect(Model, str(manifest['kind'])).toBeDefined();
      expect(() => new Model(manifest as never).validate(), name(manifest)).not.toThrow();
    }
  });

  it('would reject an object the schemas do not accept (the check can fail)', () => {
    const broken = structuredClone(deployment('api'));
    obj(list(obj(obj(obj(broken['spec'])['template'])['spec'])['containers'])[0])['ports'] = [
      { containerPort: 'http' },
    ];
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it.each(roles)(
    '%s: runs its role and gets only settings its configuration knows, the required ones included',
    (role) => {
      const workload = deployment(role);
      expect(podOf(workload).container['args']).toEqual([role]);
      const env = containerEnv(manifests, workload);
      expect(settingsAgainstSpec(specs[role], env.all)).toEqual({ unknown: [], missing: [] });
      // Each key has one source: a ConfigMap key and an env entry of the same name would shadow each other.
      expect(new Set(env.all).size).toBe(env.all.length);
    },
  );

  it.each(roles)('%s: credentials come from Secrets, never from literals or ConfigMaps', (role) => {
    const env = containerEnv(manifests, deployment(role));
    const credentials = credentialKeys(specs[role]);
    expect([...env.fromConfig.keys(), ...env.literal.keys()].filter((k) => credentials.includes(k))).toEqual(
      [],
    );
    expect([...env.fromSecret.keys()].sort()).toEqual(credentials.sort());
    for (const ref of env.fromSecret.values()) expect(ref.name).not.toBe('');
    // One Secret per principal; the audit signing key in its own.
    const principalSecrets = new Set(
      [...env.fromSecret].filter(([k]) => k.startsWith('KAFKA_SASL_')).map(([, r]) => r.name),
    );
    expect([...principalSecrets]).toEqual([`moderation-${role}`]);
    if (role === 'api')
      expect(env.fromSecret.get('MOD_AUDIT_SIGNING_KEY_PEM')?.name).toBe('moderation-audit-signing-key');
  });

  it('no two services share a principal', () => {
    const secrets = roles.map(
      (role) => containerEnv(manifests, deployment(role)).fromSecret.get('KAFKA_SASL_PASSWORD')?.name,
    );
    expect(new Set(secrets).size).toBe(roles.length);
  });

  it.each(roles)('%s: probes /health/live and /health/ready on the port the service listens on', (role) => {
    const c = podOf(deployment(role)).container;
    const env = containerEnv(manifests, deployment(role)).fromConfig;
    const listenPort = Number(env.get(role === 'api' ? 'API_PORT' : 'OPS_PORT'));
    expect(env.get(role === 'api' ? 'API_HOST' : 'OPS_HOST')).toBe('0.0.0.0');
    const ports = list(c['ports']).map(obj);
    const portNumber = (port: unknown) =>
      typeof port === 'number' ? port : Number(ports.find((p) => p['name'] === port)?.['containerPort']);
    const probe = (kind: string) => obj(obj(c[kind])['httpGet']);
    expect(probe('livenessProbe')['path']).toBe('/health/live');
    expect(probe('readinessProbe')['path']).toBe('/health/ready');
    expect(probe('startupProbe')['path']).toBe('/health/live');
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'])
      expect(portNumber(probe(kind)['port']), kind).toBe(listenPort);
  });

  it.each(roles)('%s: Prometheus scrapes its ops port, which no Service exposes', (role) => {
    const c = podOf(deployment(role)).container;
    const env = containerEnv(manifests, deployment(role)).fromConfig;
    const opsPort = Number(env.get('OPS_PORT'));
    expect(env.get('OPS_HOST')).toBe('0.0.0.0');
    expect(list(c['ports']).map(obj)).toContainEqual({
      name: 'ops',
      containerPort: opsPort,
      protocol: 'TCP',
    });
    const annotations = obj(obj(obj(obj(deployment(role)['spec'])['template'])['metadata'])['annotations']);
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
    expect(Number(annotations['prometheus.io/port'])).toBe(opsPort);
    // The API's public port is another (its /metrics answers 404); the Service targets only that one.
    if (role === 'api') {
      expect(Number(env.get('API_PORT'))).not.toBe(opsPort);
      const service = ofKind(manifests, 'Service')[0] ?? {};
      expect(list(obj(service['spec'])['ports']).map((p) => obj(p)['targetPort'])).toEqual(['http']);
    }
  });

  it.each(roles)('%s: gives the pod more time to stop than the service gives itself', (role) => {
    const workload = deployment(role);
    const shutdownMs = Number(containerEnv(manifests, workload).fromConfig.get('SHUTDOWN_TIMEOUT_MS'));
    const preStop = list(
      obj(obj(obj(podOf(workload).container['lifecycle'])['preStop'])['exec'])['command'],
    ).map(str);
    const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
    expect(shutdownMs).toBeGreaterThan(0);
    expect(Number(podOf(workload).spec['terminationGracePeriodSeconds']) * 1000).toBeGreaterThan(
      shutdownMs + preStopMs,
    );
  });

  it.each(roles)('%s: runs unprivileged, read-only, with requests and limits', (role) => {
    const workload = deployment(role);
    // What the services write goes to mounted volumes (the read-only root has nowhere else).
    const mounts = expectUnprivileged(podOf(workload).spec, podOf(workload).container);
    const snapshot = containerEnv(manifests, workload).fromConfig.get('BANK_SNAPSHOT_PATH');
    if (snapshot !== undefined) expect(mounts.some((m) => snapshot.startsWith(`${m}/`))).toBe(true);
  });

  it('each Deployment has a PodDisruptionBudget selecting its pods, and the Service selects the API', () => {
    for (const role of roles) {
      const labels = obj(obj(obj(deployment(role)['spec'])['template'])['metadata'])['labels'];
      const pdb =
        ofKind(manifests, 'PodDisruptionBudget').find((m) => name(m) === `mod-moderation-${role}`) ?? {};
      expect(obj(obj(pdb['spec'])['selector'])['matchLabels']).toEqual(labels);
      expect(obj(pdb['spec'])['maxUnavailable']).toBe(1);
    }
    const service = ofKind(manifests, 'Service')[0] ?? {};
    expect(obj(service['spec'])['selector']).toEqual(
      obj(obj(obj(deployment('api')['spec'])['template'])['metadata'])['labels'],
    );
    expect(list(obj(service['spec'])['ports']).map(obj)[0]?.['targetPort']).toBe('http');
  });

  it('autoscales the API, the fetchers, the scanners and the classifiers, never beyond their topics partitions', () => {
    const job = ofKind(manifests, 'Job')[0] ?? {};
    const args = list(podOf(job).container['args']).map(str);
    const partitions = Number(args[args.indexOf('--partitions') + 1]);
    for (const role of ['api', 'scanner', 'classifier', 'fetcher']) {
      const hpa =
        ofKind(manifests, 'HorizontalPodAutoscaler').find((m) => name(m) === `mod-moderation-${role}`) ?? {};
      expect(obj(obj(hpa['spec'])['scaleTargetRef'])).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: `mod-moderation-${role}`,
      });
      // An autoscaled Deployment leaves `replicas` to the autoscaler.
      expect(obj(deployment(role)['spec'])['replicas']).toBeUndefined();
      if (role !== 'api') expect(Number(obj(hpa['spec'])['maxReplicas'])).toBeLessThanOrEqual(partitions);
    }
    expect(obj(deployment('actioner')['spec'])['replicas']).toBe(2);
    expect(() => render('scanner.autoscaling.maxReplicas=7')).toThrow(/exceeds kafkaSetup.partitions/);
    expect(() => render('classifier.autoscaling.maxReplicas=7')).toThrow(/classifier.*exceeds kafkaSetup/);
  });

  it("keeps the CPU-bound workers' threads at their CPU limit (the default, the node's cores, oversubscribes it)", () => {
    for (const [role, key] of [
      ['scanner', 'HASH_THREADS'],
      ['classifier', 'CLASSIFIER_THREADS'],
    ] as const) {
      const limit = str(obj(obj(podOf(deployment(role)).container['resources'])['limits'])['cpu']);
      expect(limit, role).toMatch(/^\d+$/);
      expect(containerEnv(manifests, deployment(role)).fromConfig.get(key), role).toBe(limit);
    }
  });

  it('sets up the broker before install and upgrade: modctl kafka setup as the admin principal', () => {
    const job = ofKind(manifests, 'Job')[0] ?? {};
    expect(obj(obj(job['metadata'])['annotations'])).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const c = podOf(job).container;
    expect(list(c['args']).map(str)).toEqual([
      'modctl',
      'kafka',
      'setup',
      '--partitions',
      '6',
      '--replication-factor',
      '3',
    ]);
    const env = containerEnv(manifests, job);
    const spec = specs['kafka-setup'];
    expect(env.all.filter((key) => !(key in spec))).toEqual([]);
    expect([...env.fromSecret.keys()].sort()).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
    expect(new Set([...env.fromSecret.values()].map((ref) => ref.name))).toEqual(
      new Set(['moderation-kafka-admin']),
    );
    // A pre-install hook runs before the release's ConfigMaps exist: it must not read them.
    expect(c['envFrom']).toBeUndefined();
    expect(obj(c['securityContext'])['readOnlyRootFilesystem']).toBe(true);
  });

  it('mounts the brokers CA when one is given, and uses the system CAs otherwise', () => {
    const caPath = containerEnv(manifests, deployment('scanner')).fromConfig.get('KAFKA_TLS_CA_PATH') ?? '';
    const mounts = list(podOf(deployment('scanner')).container['volumeMounts']).map((m) =>
      str(obj(m)['mountPath']),
    );
    expect(mounts.some((m) => caPath.startsWith(`${m}/`))).toBe(true);
    const withoutCa = render('kafka.caConfigMap=');
    const scanner =
      withoutCa.find((m) => m['kind'] === 'Deployment' && name(m) === 'mod-moderation-scanner') ?? {};
    expect(containerEnv(withoutCa, scanner).fromConfig.get('KAFKA_TLS_CA_PATH')).toBe('');
    expect(list(podOf(scanner).spec['volumes']).map((v) => str(obj(v)['name']))).not.toContain('kafka-ca');
  });

  it('refuses values its schema does not know (a misspelt setting fails, it is not ignored)', () => {
    expect(() => render('api.secretNam=x')).toThrow(/secretNam/);
    expect(() => render('kafka.saslMechanism=plain')).toThrow(/saslMechanism/);
    expect(() => render('scanner.config.HASH_THREAD=2')).toThrow(/HASH_THREAD/);
    expect(() => render('common.OPS_PORT=1')).toThrow(/OPS_PORT/);
  });
});

// The settings a values file may give a role (`<role>.config`, `common`) are its spec's, but for the credentials
// (Secrets) and those the chart sets itself: values.schema.json lists them, so a misspelt one fails to render.
const chartManaged = [
  'KAFKA_BROKERS',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_TLS',
  'KAFKA_TLS_CA_PATH',
  'TOPIC_PREFIX',
  'DATABASE_SCHEMA',
  'SHUTDOWN_TIMEOUT_MS',
  'API_HOST',
  'API_PORT',
  'API_RATE_LIMIT_PER_S',
  'API_RATE_LIMIT_BURST',
  'OPS_HOST',
  'OPS_PORT',
  'BANK_SNAPSHOT_PATH',
];
const settable = (role: (typeof roles)[number]) =>
  Object.keys(specs[role])
    .filter((key) => !chartManaged.includes(key) && !credentialKeys(specs[role]).includes(key))
    .sort();

describe('values.schema.json of deploy/helm/moderation', () => {
  const schema = obj(JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')));
  const properties = obj(schema['properties']);
  const enumOf = (settings: unknown) => list(obj(obj(settings)['propertyNames'])['enum']).map(str);

  it.each(roles)("lists exactly the settings of the %s's config spec that values may give", (role) => {
    expect(enumOf(obj(obj(properties[role])['properties'])['config'])).toEqual(settable(role));
  });

  it('lists as common settings those every service knows', () => {
    const common = settable('api').filter((key) => roles.every((role) => key in specs[role]));
    expect(enumOf(properties['common'])).toEqual(common);
  });

  it('the values file gives only settings the schema lists', () => {
    const values = obj(yamlDocuments(readFileSync(join(chart, 'values.yaml'), 'utf8'))[0]);
    for (const role of roles)
      for (const key of Object.keys(obj(obj(values[role])['config']))) expect(settable(role)).toContain(key);
  });
});

describe.runIf(helm === undefined)('Helm chart deploy/helm/moderation (no helm)', () => {
  it('helm is not installed (deploy/local/lib.sh ensure_deploy_tools fetches it): chart checks skipped', () => {
    expect(helm).toBeUndefined();
  });
});
