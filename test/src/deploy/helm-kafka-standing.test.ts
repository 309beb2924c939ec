import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
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
import { expectUnprivileged, helm, name, ofKind, useHelm, type Manifest } from './helm-chart.js';

// The chart's kafka-standing CronJob (modctl kafka standing on a schedule, so that a tenant an admin disabled loses
// its partner principal's broker access without an operator), rendered by the real Helm: its schedule and
// concurrency, its environment and Secrets, its security context and its NetworkPolicy; and the rendered command and
// environment run through the image's entry point against the real broker and PostgreSQL.

const { template, render } = useHelm();
const jobName = 'mod-moderation-kafka-standing';

const cronJobOf = (manifests: Manifest[]): Manifest | undefined =>
  ofKind(manifests, 'CronJob').find((m) => name(m) === jobName);
const jobSpec = (cronJob: Manifest) => obj(obj(obj(cronJob['spec'])['jobTemplate'])['spec']);
const podTemplate = (cronJob: Manifest) => obj(jobSpec(cronJob)['template']);
const podSpec = (cronJob: Manifest) => obj(podTemplate(cronJob)['spec']);
const containerOf = (cronJob: Manifest) => obj(list(podSpec(cronJob)['containers'])[0]);

/** The container's env entries: literal values and Secret references. */
function envOf(cronJob: Manifest) {
  const literal = new Map<string, string>();
  const fromSecret = new Map<string, { name: string; key: string }>();
  for (const entry of list(containerOf(cronJob)['env']).map(obj)) {
    const ref = obj(obj(entry['valueFrom'])['secretKeyRef']);
    if ('value' in entry) literal.set(str(entry['name']), str(entry['value']));
    else fromSecret.set(str(entry['name']), { name: str(ref['name']), key: str(ref['key']) });
  }
  return { literal, fromSecret, all: [...literal.keys(), ...fromSecret.keys()] };
}

/** The pod spec of a Job or Deployment (whose `spec.template` is the pod's). */
const jobPodSpec = (job: Manifest) => obj(obj(obj(job['spec'])['template'])['spec']);
const podLabels = (workload: Manifest): Record<string, string> =>
  obj(obj(obj(workload['spec'])['template'])['metadata'])['labels'] as Record<string, string>;
const selects = (policy: Manifest, labels: Record<string, string>) =>
  Object.entries(obj(obj(obj(policy['spec'])['podSelector'])['matchLabels'])).every(
    ([k, v]) => labels[k] === v,
  );
const egressPorts = (policy: Manifest) =>
  list(obj(policy['spec'])['egress']).map((rule) =>
    list(obj(rule)['ports']).map((p) => `${str(obj(p)['protocol'])}/${str(obj(p)['port'])}`),
  );

describe.skipIf(helm === undefined)('the kafka-standing CronJob of deploy/helm/moderation', () => {
  const manifests = helm === undefined ? [] : render();
  const cronJob = cronJobOf(manifests) ?? {};

  it('runs modctl kafka standing every minute, one run at a time, each run bounded', () => {
    expect(cronJobOf(manifests)).toBeDefined();
    expect(() => new CronJob(cronJob as never).validate()).not.toThrow();
    const spec = obj(cronJob['spec']);
    expect(spec['schedule']).toBe('* * * * *');
    expect(spec['concurrencyPolicy']).toBe('Forbid');
    // A hung run must end, or Forbid would hold every later run back.
    expect(Number(jobSpec(cronJob)['activeDeadlineSeconds'])).toBeGreaterThan(0);
    expect(podSpec(cronJob)['restartPolicy']).toBe('Never');
    expect(list(containerOf(cronJob)['args']).map(str)).toEqual(['modctl', 'kafka', 'standing']);
  });

  it("gets the set-up job's admin principal and Kafka settings, the database from a Secret, and names itself", () => {
    const env = envOf(cronJob);
    const spec = specs['kafka-setup'];
    // MODCTL_ACTOR is who the audit log names: modctl refuses a change under the image's user without it.
    expect(env.all.filter((key) => !(key in spec))).toEqual(['MODCTL_ACTOR']);
    expect(settingsAgainstSpec(spec, env.all).missing).toEqual([]);
    expect(new Set(env.all).size).toBe(env.all.length);
    expect(env.literal.get('MODCTL_ACTOR')).toBe(`cronjob/${jobName}`);
    // Credentials only from Secrets: the admin principal's that kafka-setup uses, the API's database URL.
    const credentials = credentialKeys(spec);
    expect([...env.literal.keys()].filter((k) => credentials.includes(k))).toEqual([]);
    expect([...env.fromSecret.keys()].sort()).toEqual(credentials.sort());
    const setup = ofKind(manifests, 'Job').find((m) => name(m) === 'mod-moderation-kafka-setup') ?? {};
    const setupEnv = list(obj(list(jobPodSpec(setup)['containers'])[0])['env']).map(obj);
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

    const other = cronJobOf(render('kafkaStanding.databaseSecretName=moderation-standing-db')) ?? {};
    expect(envOf(other).fromSecret.get('DATABASE_URL')?.name).toBe('moderation-standing-db');
  });

  it('runs unprivileged, read-only, without a service-account token, with requests and limits', () => {
    const mounts = expectUnprivileged(podSpec(cronJob), containerOf(cronJob));
    const caPath = envOf(cronJob).literal.get('KAFKA_TLS_CA_PATH') ?? '';
    expect(mounts.some((m) => caPath.startsWith(`${m}/`))).toBe(true);
  });

  it('takes its schedule from the values, is left out when disabled, and refuses a schedule that is not one', () => {
    expect(obj(cronJobOf(render('kafkaStanding.schedule=*/5 * * * *'))?.['spec'])['schedule']).toBe(
      '*/5 * * * *',
    );
    const off = render('kafkaStanding.enabled=false');
    expect(cronJobOf(off)).toBeUndefined();
    expect(ofKind(off, 'NetworkPolicy').map(name)).not.toContain(jobName);
    expect(() => render('kafkaStanding.schedule=every minute')).toThrow(/schedule/);
    expect(() => render('kafkaStanding.schedul=x')).toThrow(/schedul/);
  });

  it('its NetworkPolicy admits nothing in and lets out only DNS, the brokers and PostgreSQL', () => {
    const policy = ofKind(manifests, 'NetworkPolicy').find((m) => name(m) === jobName) ?? {};
    expect(() => new NetworkPolicy(policy as never).validate()).not.toThrow();
    const labels = obj(podTemplate(cronJob)['metadata'])['labels'] as Record<string, string>;
    // It selects the job's pods, and no other policy does (nor it a service's pods).
    expect(
      ofKind(manifests, 'NetworkPolicy')
        .filter((p) => selects(p, labels))
        .map(name),
    ).toEqual([jobName]);
    for (const d of ofKind(manifests, 'Deployment'))
      expect(selects(policy, podLabels(d)), name(d)).toBe(false);
    const spec = obj(policy['spec']);
    expect(spec['policyTypes']).toEqual(['Ingress', 'Egress']);
    expect(spec['ingress']).toEqual([]);
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

// The rendered job, run as Kubernetes would run it (its args through the image's entry point, its env, its Secrets'
// values), but on this machine: against the real broker and PostgreSQL, on a schema and topic prefix of its own.
describe.skipIf(helm === undefined)('the kafka-standing CronJob, run', () => {
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  const tenantId = 'isp-standing-cron';
  const owned = { prefix, kind: 'isp' as PartnerKind, tenantId, principal: 'cron-standing-partner' };
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

  /** The rendered job's process: its Secrets' values from this machine; the brokers and CA path this machine's. */
  async function runRenderedJob(): Promise<{ changes: unknown[] }> {
    const job = cronJobOf(render(`kafka.topicPrefix=${prefix}`, `database.schema=${db.schema}`)) ?? {};
    const secrets: Record<string, Record<string, string>> = {
      'moderation-kafka-admin': {
        KAFKA_SASL_USERNAME: process.env['KAFKA_SASL_USERNAME'] ?? '',
        KAFKA_SASL_PASSWORD: process.env['KAFKA_SASL_PASSWORD'] ?? '',
      },
      'moderation-api': { DATABASE_URL: TEST_DATABASE_URL },
    };
    const env = envOf(job);
    const fromSecrets = [...env.fromSecret].map(([key, ref]) => {
      const value = secrets[ref.name]?.[ref.key];
      expect(value, `${ref.name}/${ref.key}`).toBeDefined();
      return [key, value ?? ''] as const;
    });
    const { stdout } = await promisify(execFile)(
      'sh',
      [join(deployDir, 'container/entrypoint.sh'), ...list(containerOf(job)['args']).map(str)],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          MOD_APP_DIR: repoRoot,
          ...Object.fromEntries(env.literal),
          ...Object.fromEntries(fromSecrets),
          KAFKA_BROKERS: testBrokers().join(','),
          KAFKA_TLS_CA_PATH: process.env['KAFKA_TLS_CA_PATH'] ?? '',
        },
      },
    );
    return JSON.parse(stdout) as { changes: unknown[] };
  }

  it("suspends a disabled tenant's partner principal, audited in the job's name, and restores it once enabled", async () => {
    expect((await runRenderedJob()).changes).toEqual([]);
    await setTenantDisabled(db.pool, tenantId, true);
    expect((await runRenderedJob()).changes).toEqual([
      { tenant: tenantId, principal: owned.principal, change: 'suspended' },
    ]);
    expect(await topicWriters(admin, topic.name, 'deny')).toEqual([owned.principal]);
    const suspended = (await listAudit(db.pool)).filter((r) => r.action === 'kafka.partner.suspended');
    expect(suspended.map((r) => r.actor)).toEqual([{ kind: 'user', id: `modctl:cronjob/${jobName}` }]);

    await setTenantDisabled(db.pool, tenantId, false);
    expect((await runRenderedJob()).changes).toEqual([
      { tenant: tenantId, principal: owned.principal, change: 'restored' },
    ]);
    expect(await topicWriters(admin, topic.name, 'deny')).toEqual([]);
  }, 120_000);
});
