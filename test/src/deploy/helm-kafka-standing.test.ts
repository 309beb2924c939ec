import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerAcls, partnerSuspension, partnerTopicSpec, type PartnerKind } from '@mod/contracts';
import { createTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { applyAcls, createKafka, deleteTopics, ensureTopics, removeAcls, topicWriters } from '@mod/kafka';
import { createLogger } from '@mod/telemetry';
import {
  createTestSchema,
  credentialsFromEnvironment,
  setTenantDisabled,
  TEST_DATABASE_URL,
  testBrokers,
  type TestDatabase,
} from '@mod/testing';
import {
  credentialKeys,
  deployDir,
  list,
  obj,
  repoRoot,
  settingsAgainstSpec,
  specs,
  str,
} from './deploy-files.js';
import {
  containerEnv,
  expectUnprivileged,
  helm,
  name,
  ofKind,
  podOf,
  useHelm,
  type Manifest,
} from './helm-chart.js';
import { freePort } from '../processes.js';
import { waitFor } from '../waiting.js';

// The chart's kafka-standing watcher (modctl kafka standing --watch, one pod, so that a tenant an admin disabled loses
// its partner principal's broker access as soon as the watcher reads it, without an operator), rendered by the real
// Helm: its one pod at a time, its command, probes, environment and Secrets, its security context and its
// NetworkPolicy; and the rendered command and environment run through the image's entry point against the real
// broker and PostgreSQL.

const { template, render } = useHelm();
const jobName = 'mod-moderation-kafka-standing';

const watcherOf = (manifests: Manifest[]): Manifest | undefined =>
  ofKind(manifests, 'Deployment').find((m) => name(m) === jobName);
const podLabels = (workload: Manifest): Record<string, string> =>
  podOf(workload).metadata['labels'] as Record<string, string>;
const selects = (policy: Manifest, labels: Record<string, string>) =>
  Object.entries(obj(obj(obj(policy['spec'])['podSelector'])['matchLabels'])).every(
    ([k, v]) => labels[k] === v,
  );
const egressPorts = (policy: Manifest) =>
  list(obj(policy['spec'])['egress']).map((rule) =>
    list(obj(rule)['ports']).map((p) => `${str(obj(p)['protocol'])}/${str(obj(p)['port'])}`),
  );

describe.skipIf(helm === undefined)('the kafka-standing watcher of deploy/helm/moderation', () => {
  const manifests = helm === undefined ? [] : render();
  const watcher = watcherOf(manifests) ?? {};

  it('runs modctl kafka standing --watch in one pod at a time, its probes and metrics on its ops port', () => {
    expect(watcherOf(manifests)).toBeDefined();
    expect(() => new Deployment(watcher as never).validate()).not.toThrow();
    const spec = obj(watcher['spec']);
    expect(spec['replicas']).toBe(1);
    // Two at once would audit the same suspension twice: the old pod goes before the new one starts.
    expect(obj(spec['strategy'])['type']).toBe('Recreate');
    const container = podOf(watcher).container;
    expect(list(container['args']).map(str)).toEqual([
      'modctl',
      'kafka',
      'standing',
      '--watch',
      '--poll-ms',
      '1000',
      '--full-every-s',
      '60',
      '--ops-port',
      '9106',
    ]);
    expect(list(container['ports']).map(obj)).toEqual([
      { name: 'ops', containerPort: 9106, protocol: 'TCP' },
    ]);
    for (const [probe, path] of [
      ['livenessProbe', '/health/live'],
      ['readinessProbe', '/health/ready'],
      ['startupProbe', '/health/live'],
    ] as const)
      expect(obj(obj(container[probe])['httpGet']), probe).toEqual({ path, port: 'ops' });
  });

  it("gets the set-up job's admin principal and Kafka settings, the database from a Secret, and names itself", () => {
    const env = containerEnv(manifests, watcher);
    const spec = specs['kafka-setup'];
    // MODCTL_ACTOR is who the audit log names: modctl refuses a change under the image's user without it. OPS_HOST:
    // the ops server on the pod's address, for the probes and Prometheus.
    expect(env.all.filter((key) => !(key in spec))).toEqual(['MODCTL_ACTOR', 'OPS_HOST']);
    expect(env.literal.get('OPS_HOST')).toBe('0.0.0.0');
    expect(settingsAgainstSpec(spec, env.all).missing).toEqual([]);
    expect(new Set(env.all).size).toBe(env.all.length);
    expect(env.literal.get('MODCTL_ACTOR')).toBe(`deployment/${jobName}`);
    // Credentials only from Secrets: the admin principal's that kafka-setup uses, the API's database URL.
    const credentials = credentialKeys(spec);
    expect([...env.literal.keys()].filter((k) => credentials.includes(k))).toEqual([]);
    expect([...env.fromSecret.keys()].sort()).toEqual(credentials.sort());
    const setup = ofKind(manifests, 'Job').find((m) => name(m) === 'mod-moderation-kafka-setup') ?? {};
    const setupEnv = list(podOf(setup).container['env']).map(obj);
    const setupSecret = str(
      obj(obj(setupEnv.find((e) => e['name'] === 'KAFKA_SASL_PASSWORD')?.['valueFrom'])['secretKeyRef'])[
        'name'
      ],
    );
    expect(env.fromSecret.get('KAFKA_SASL_USERNAME')?.name).toBe(setupSecret);
    expect(env.fromSecret.get('KAFKA_SASL_PASSWORD')?.name).toBe(setupSecret);
    expect(env.fromSecret.get('DATABASE_URL')).toEqual({ name: 'moderation-api', key: 'DATABASE_URL' });
    for (const e of setupEnv.filter((e) => 'value' in e))
      expect(env.literal.get(str(e['name'])), str(e['name'])).toBe(str(e['value']));

    const otherManifests = render('kafkaStanding.databaseSecretName=moderation-standing-db');
    const other = watcherOf(otherManifests) ?? {};
    expect(containerEnv(otherManifests, other).fromSecret.get('DATABASE_URL')?.name).toBe(
      'moderation-standing-db',
    );
  });

  it('runs unprivileged, read-only, without a service-account token, with requests and limits', () => {
    const mounts = expectUnprivileged(podOf(watcher).spec, podOf(watcher).container);
    const caPath = containerEnv(manifests, watcher).literal.get('KAFKA_TLS_CA_PATH') ?? '';
    expect(mounts.some((m) => caPath.startsWith(`${m}/`))).toBe(true);
  });

  it('takes its periods and port from the values, is left out when disabled, and refuses settings that are none', () => {
    const args = list(
      podOf(watcherOf(render('kafkaStanding.pollMs=250', 'kafkaStanding.fullEverySeconds=300')) ?? {})
        .container['args'],
    ).map(str);
    expect(args.slice(4, 8)).toEqual(['--poll-ms', '250', '--full-every-s', '300']);
    const off = render('kafkaStanding.enabled=false');
    expect(watcherOf(off)).toBeUndefined();
    expect(ofKind(off, 'NetworkPolicy').map(name)).not.toContain(jobName);
    expect(() => render('kafkaStanding.pollMs=0')).toThrow(/pollMs/);
    expect(() => render('kafkaStanding.opsPort=80')).toThrow(/opsPort/);
    // The CronJob's settings are gone: a values file still giving them is told so.
    expect(() => render('kafkaStanding.schedule=* * * * *')).toThrow(/schedule/);
  });

  it('its NetworkPolicy admits only Prometheus to its ops port and lets out only DNS, the brokers and PostgreSQL', () => {
    const policy = ofKind(manifests, 'NetworkPolicy').find((m) => name(m) === jobName) ?? {};
    expect(() => new NetworkPolicy(policy as never).validate()).not.toThrow();
    const labels = podOf(watcher).metadata['labels'] as Record<string, string>;
    // It selects the watcher's pods, and no other policy does (nor it a service's pods).
    expect(
      ofKind(manifests, 'NetworkPolicy')
        .filter((p) => selects(p, labels))
        .map(name),
    ).toEqual([jobName]);
    for (const d of ofKind(manifests, 'Deployment').filter((m) => name(m) !== jobName))
      expect(selects(policy, podLabels(d)), name(d)).toBe(false);
    const spec = obj(policy['spec']);
    expect(spec['policyTypes']).toEqual(['Ingress', 'Egress']);
    expect(spec['ingress']).toEqual([
      {
        ports: [{ port: 9106, protocol: 'TCP' }],
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
      },
    ]);
    const closed = template(['--set-json', 'networkPolicy.opsFrom=[]']);
    const closedPolicy = ofKind(closed, 'NetworkPolicy').find((m) => name(m) === jobName) ?? {};
    expect(obj(closedPolicy['spec'])['ingress']).toEqual([]);
    expect(egressPorts(policy)).toEqual([['UDP/53', 'TCP/53'], ['TCP/9093'], ['TCP/5432']]);
    for (const rule of list(spec['egress'])) expect(obj(rule)['to']).toBeUndefined();

    const narrowed = template([
      '--set',
      'kafka.brokers=k-0:9093\\,k-1:9093\\,k-2:19093',
      '--set',
      'database.port=6432',
      '--set-json',
      'networkPolicy.databaseTo=[{"ipBlock":{"cidr":"10.0.5.0/24"}}]',
    ]);
    const np = ofKind(narrowed, 'NetworkPolicy').find((m) => name(m) === jobName) ?? {};
    expect(egressPorts(np)).toEqual([['UDP/53', 'TCP/53'], ['TCP/9093', 'TCP/19093'], ['TCP/6432']]);
    const rules = list(obj(np['spec'])['egress']).map(obj);
    expect(rules[1]?.['to']).toBeUndefined();
    expect(rules[2]?.['to']).toEqual([{ ipBlock: { cidr: '10.0.5.0/24' } }]);
  });
});

// The rendered watcher, run as Kubernetes would run it (its args through the image's entry point, its env, its
// Secrets' values), but on this machine: against the real broker and PostgreSQL, on a schema and topic prefix of its
// own, its ops server on a free loopback port.
describe.skipIf(helm === undefined)('the kafka-standing watcher, run', () => {
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const tenantId = 'isp-standing-watched';
  const owned = { prefix, kind: 'isp' as PartnerKind, tenantId, principal: 'watch-standing-partner' };
  const admin = createKafka({
    brokers: testBrokers(),
    clientId: 'helm-standing-test',
    logger: createLogger('test', 'silent'),
    credentials: credentialsFromEnvironment(),
  });
  let db: TestDatabase;
  const topic = partnerTopicSpec(prefix, 'urlObserved', tenantId);

  beforeAll(async () => {
    db = await createTestSchema();
    await createTenant(db.pool, { id: tenantId, kind: 'isp', name: 'Standing', subscribedToBlocking: false });
    await ensureTopics(admin, [topic]);
    await applyAcls(admin, partnerAcls(owned));
  }, 60_000);
  afterAll(async () => {
    await removeAcls(admin, [...partnerAcls(owned), ...partnerSuspension(owned)]);
    await deleteTopics(admin, [topic.name]);
    await db.drop();
  });

  /** Starts the rendered watcher's process: its Secrets' values from this machine; the brokers and CA path this machine's. */
  async function startRenderedWatcher() {
    const port = await freePort();
    const rendered = render(
      `kafka.topicPrefix=${prefix}`,
      `database.schema=${db.schema}`,
      `kafkaStanding.opsPort=${port}`,
      'kafkaStanding.pollMs=200',
    );
    const watcher = watcherOf(rendered) ?? {};
    const secrets: Record<string, Record<string, string>> = {
      'moderation-kafka-admin': {
        KAFKA_SASL_USERNAME: process.env['KAFKA_SASL_USERNAME'] ?? '',
        KAFKA_SASL_PASSWORD: process.env['KAFKA_SASL_PASSWORD'] ?? '',
      },
      'moderation-api': { DATABASE_URL: TEST_DATABASE_URL },
    };
    const env = containerEnv(rendered, watcher);
    const fromSecrets = [...env.fromSecret].map(([key, ref]) => {
      const value = secrets[ref.name]?.[ref.key];
      expect(value, `${ref.name}/${ref.key}`).toBeDefined();
      return [key, value ?? ''] as const;
    });
    const child = spawn(
      'sh',
      [join(deployDir, 'container/entrypoint.sh'), ...list(podOf(watcher).container['args']).map(str)],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          MOD_APP_DIR: repoRoot,
          ...Object.fromEntries(env.literal),
          ...Object.fromEntries(fromSecrets),
          KAFKA_BROKERS: testBrokers().join(','),
          KAFKA_TLS_CA_PATH: process.env['KAFKA_TLS_CA_PATH'] ?? '',
          // Loopback here (the pod's address in the cluster).
          OPS_HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const metrics = () =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
    return {
      metrics,
      stop: async () => {
        child.kill('SIGTERM');
        return exited;
      },
    };
  }

  const denied = () => topicWriters(admin, topic.name, 'deny');

  it("suspends a disabled tenant's partner principal, audited in the watcher's name, and restores it once enabled", async () => {
    const watcher = await startRenderedWatcher();
    try {
      await waitFor('its first pass over every partner', async () =>
        /mod_kafka_standing_passes_total\{[^}]*scope="all"[^}]*outcome="ok"[^}]*\} 1/.test(
          await watcher.metrics(),
        ),
      );
      expect(await denied()).toEqual([]);
      await setTenantDisabled(db.pool, tenantId, true);
      await waitFor('the suspension', async () => (await denied()).length > 0);
      expect(await denied()).toEqual([owned.principal]);
      const suspended = (await listAudit(db.pool)).filter((r) => r.action === 'kafka.partner.suspended');
      expect(suspended.map((r) => r.actor)).toEqual([{ kind: 'user', id: `modctl:deployment/${jobName}` }]);

      await setTenantDisabled(db.pool, tenantId, false);
      await waitFor('the restoration', async () => (await denied()).length === 0);
      expect(await watcher.metrics()).toMatch(
        /mod_kafka_standing_changes_total\{[^}]*change="restored"[^}]*\} 1/,
      );
    } finally {
      // SIGTERM ends it cleanly (exit 0), as Kubernetes stops the pod.
      expect(await watcher.stop()).toBe(0);
    }
  }, 120_000);
});
