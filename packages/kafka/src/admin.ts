import {
  Admin as PlatformaticAdmin,
  AclOperations,
  AclPermissionTypes,
  ConfigResourceTypes,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
  type AclFilter,
} from '@platformatic/kafka';
import { ModError, type AclBinding, type TopicSpec } from '@mod/contracts';
import type { Kafka } from './client.js';
import { errorText } from './errors.js';

/** A short-lived admin client for one task, closed after it. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: PlatformaticAdmin) => Promise<T>): Promise<T> {
  const admin = new PlatformaticAdmin(kafka.base);
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

/** Whether an error says the topic exists already (a concurrent creation), in any of the client's forms. */
const alreadyExists = (err: unknown): boolean => /already exists/i.test(errorText(err));

export interface EnsureTopicsOptions {
  /** Replicas of each new topic's partitions. Default: the cluster's `default.replication.factor`. */
  replicationFactor?: number;
  /** Largest record batch each new topic accepts, bytes. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** What `ensureTopics` did: the topics it created, and the existing ones whose reconciled settings it set. */
export interface EnsuredTopics {
  created: string[];
  updated: string[];
}

/**
 * Creates missing topics with their retention, cleanup policy, timestamp type, size bound and segment roll time; of
 * existing topics only the timestamp type, size bound and segment roll time are brought in line (`reconcileTopics`),
 * the rest is left as it is. Needs the right to create them: the operator's admin principal (`modctl kafka setup`),
 * or the actioner for the partners' outbound topics.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<EnsuredTopics> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    const created: string[] = [];
    for (const s of missing) {
      try {
        await admin.createTopics({
          topics: [s.name],
          partitions: s.partitions,
          // -1: the cluster's default.replication.factor (1 on one node, 3 on the local cluster).
          replicas: options.replicationFactor ?? -1,
          configs: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            { name: 'cleanup.policy', value: s.cleanupPolicy },
            { name: 'max.message.bytes', value: String(options.maxMessageBytes ?? 16 * 1024 * 1024) },
            ...Object.entries(reconciledConfigs(s)).map(([name, value]) => ({ name, value })),
          ],
        });
        created.push(s.name);
      } catch (err) {
        if (!alreadyExists(err)) throw err;
      }
    }
    if (created.length > 0) await waitForLeaders(admin, created);
    const updated = await reconcileWith(
      admin,
      specs.filter((s) => existing.has(s.name)),
    );
    return { created, updated };
  });
}

const TIMESTAMP_TYPE = 'message.timestamp.type';
const RETENTION_BYTES = 'retention.bytes';
const SEGMENT_MS = 'segment.ms';

/**
 * The settings a spec fixes on its topic whenever it is ensured or reconciled, not only at creation: those that
 * guard the topics partners write (the broker's timestamps, a bound on the bytes kept) and the segment roll time
 * that makes a private topic's retention hold, which topics made before the spec had them must get at every install
 * and upgrade.
 */
function reconciledConfigs(s: TopicSpec): Record<string, string> {
  return {
    ...(s.timestampType === undefined ? {} : { [TIMESTAMP_TYPE]: s.timestampType }),
    ...(s.retentionBytes === undefined ? {} : { [RETENTION_BYTES]: String(s.retentionBytes) }),
    ...(s.segmentMs === undefined ? {} : { [SEGMENT_MS]: String(s.segmentMs) }),
  };
}

/**
 * Sets the reconciled settings (`reconciledConfigs`: timestamp type, size bound, segment roll time) of existing topics whose
 * configuration differs from their spec's (topics created before their spec had them); returns those topics.
 * Missing topics are skipped, never created. Idempotent.
 */
export async function reconcileTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    return reconcileWith(
      admin,
      specs.filter((s) => existing.has(s.name)),
    );
  });
}

async function reconcileWith(admin: PlatformaticAdmin, specs: readonly TopicSpec[]): Promise<string[]> {
  const wanted = specs
    .map((s) => ({ name: s.name, configs: reconciledConfigs(s) }))
    .filter((w) => Object.keys(w.configs).length > 0);
  if (wanted.length === 0) return [];
  const described = await admin.describeConfigs({
    resources: wanted.map((w) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName: w.name,
      configurationKeys: Object.keys(w.configs),
    })),
  });
  const current = new Map(
    described.map((d) => [d.resourceName, new Map(d.configs.map((e) => [e.name, e.value]))]),
  );
  const differing = wanted
    .map((w) => ({
      name: w.name,
      configs: Object.fromEntries(
        Object.entries(w.configs).filter(([k, v]) => current.get(w.name)?.get(k) !== v),
      ),
    }))
    .filter((d) => Object.keys(d.configs).length > 0);
  for (const d of differing) await setTopicConfigs(admin, d.name, d.configs);
  return differing.map((d) => d.name);
}

/** Waits (up to 10 s) until every partition of the topics has a leader, so the first produce finds one. */
export async function waitForLeaders(admin: PlatformaticAdmin, topics: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const metadata = await admin.metadata({ topics, forceUpdate: true });
    const led = topics.every((t) => {
      const partitions = metadata.topics.get(t)?.partitions ?? [];
      return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
    });
    if (led || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * How long a service's start-up waits for its topics, their leaders and its ACLs (`requireTopics` `waitMs`): it
 * may start together with the broker and `modctl kafka setup` (the demo, compose, a fresh cluster).
 */
export const STARTUP_TOPICS_WAIT_MS = 60_000;

/**
 * Start-up check of a service: every topic it uses exists (services cannot create internal topics: the operator
 * does, with `modctl kafka setup`), and has its partitions' leaders. Throws one error naming every missing topic.
 * With `waitMs`, a service started together with its broker and the set-up job (compose, Kubernetes, the demo)
 * waits that long for the topics, their leaders and its ACLs, instead of exiting; it says once that it waits.
 */
export async function requireTopics(
  kafka: Kafka,
  names: readonly string[],
  o: { waitMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (o.waitMs ?? 0);
  for (let attempt = 0; ; attempt++) {
    const missing = await withAdmin(kafka, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const absent = names.filter((n) => !existing.has(n));
      if (absent.length === 0) await waitForLeaders(admin, [...names]);
      return absent;
    });
    if (missing.length === 0) return;
    const message = `topics missing or not visible to this principal: ${missing.join(', ')} (create them with \`modctl kafka setup\`)`;
    if (Date.now() >= deadline)
      throw new ModError('MOD_ERR_KAFKA_TOPIC_MISSING', message, { retriable: true });
    if (attempt === 0) kafka.logger.warn({ missing, waitMs: o.waitMs }, 'waiting for topics');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Topics this principal can see (DESCRIBE), filtered. */
export async function listTopics(kafka: Kafka, keep: (name: string) => boolean): Promise<string[]> {
  return (await withAdmin(kafka, (admin) => admin.listTopics())).filter(keep).sort();
}

/** A topic's value of one configuration entry (the topic's own or the broker's default), if any. */
export async function topicConfigValue(
  kafka: Kafka,
  topic: string,
  name: string,
): Promise<string | undefined> {
  return withAdmin(kafka, async (admin) => {
    const [description] = await admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [name] },
      ],
    });
    return description?.configs.find((e) => e.name === name)?.value ?? undefined;
  });
}

/** The largest record batch a topic accepts (`max.message.bytes`, the topic's or the broker's default). */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  const n = Number(await topicConfigValue(kafka, topic, 'max.message.bytes'));
  if (!Number.isInteger(n) || n <= 0)
    throw new ModError('MOD_ERR_KAFKA_TOPIC_CONFIG', `topic ${topic} has no max.message.bytes`, {
      retriable: true,
    });
  return n;
}

/**
 * Sets topic-level configuration (operators and tests: e.g. a topic's `max.message.bytes`), leaving the topic's
 * other settings as they are. Admin principal.
 */
export async function alterTopicConfig(
  kafka: Kafka,
  topic: string,
  entries: Readonly<Record<string, string>>,
): Promise<void> {
  await withAdmin(kafka, (admin) => setTopicConfigs(admin, topic, entries));
}

/** SET (incremental: the topic's other settings stay) of topic-level configuration entries. */
async function setTopicConfigs(
  admin: PlatformaticAdmin,
  topic: string,
  entries: Readonly<Record<string, string>>,
): Promise<void> {
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: Object.entries(entries).map(([name, value]) => ({ name, configOperation: 0, value })),
      },
    ],
  });
}

const OPERATIONS = {
  read: AclOperations.READ,
  write: AclOperations.WRITE,
  create: AclOperations.CREATE,
  describe: AclOperations.DESCRIBE,
  'describe-configs': AclOperations.DESCRIBE_CONFIGS,
  delete: AclOperations.DELETE,
} as const satisfies Record<AclBinding['operation'], number>;

/** A binding as the client takes it (to create, or as an exact filter to delete); ALLOW unless it says DENY. */
const kafkaAcl = (b: AclBinding): Acl => ({
  resourceType: b.resourceType === 'topic' ? ResourceTypes.TOPIC : ResourceTypes.GROUP,
  resourceName: b.name,
  resourcePatternType:
    b.patternType === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
  principal: b.principal,
  host: '*',
  operation: OPERATIONS[b.operation],
  permissionType: b.permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
});

/** Creates bindings (creating an existing binding again changes nothing). Needs the admin principal. */
export async function applyAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withAdmin(kafka, (admin) => admin.createAcls({ creations: bindings.map(kafkaAcl) }));
}

/** Deletes bindings (e.g. when a partner's access ends). Needs the admin principal. */
export async function removeAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withAdmin(kafka, (admin) => admin.deleteAcls({ filters: bindings.map(kafkaAcl) }));
}

/** A resource a principal's ACL binding names (`other`: a type this project never grants, e.g. the cluster). */
export interface AclResource {
  resourceType: AclBinding['resourceType'] | 'other';
  patternType: AclBinding['patternType'] | 'other';
  name: string;
}

/** An ACL filter that matches every binding: any resource, pattern, principal, host, operation and permission. */
export const ANY_ACL: AclFilter = {
  resourceType: ResourceTypes.ANY,
  resourceName: null,
  resourcePatternType: ResourcePatternTypes.ANY,
  principal: null,
  host: null,
  operation: AclOperations.ANY,
  permissionType: AclPermissionTypes.ANY,
};

/** The bindings (with the resources they name) a filter matches; what it leaves unset matches any. Admin principal. */
function matchingAcls(kafka: Kafka, filter: Partial<AclFilter>) {
  return withAdmin(kafka, (admin) => admin.describeAcls({ filter: { ...ANY_ACL, ...filter } }));
}

/** Every resource the ACL bindings of `principal` (`User:<name>`) name, whatever they allow. Needs the admin principal. */
export async function aclResourcesOf(kafka: Kafka, principal: string): Promise<AclResource[]> {
  const resources = await matchingAcls(kafka, { principal });
  const types = new Map<number, AclResource['resourceType']>([
    [ResourceTypes.TOPIC, 'topic'],
    [ResourceTypes.GROUP, 'group'],
  ]);
  const patterns = new Map<number, AclResource['patternType']>([
    [ResourcePatternTypes.LITERAL, 'literal'],
    [ResourcePatternTypes.PREFIXED, 'prefixed'],
  ]);
  return resources.map((r) => ({
    resourceType: types.get(r.resourceType) ?? 'other',
    patternType: patterns.get(r.resourcePatternType) ?? 'other',
    name: r.resourceName,
  }));
}

/**
 * The SCRAM users a literal ALLOW binding lets write `topic` (a partner's inbound topic: its partner), or with
 * `deny` those a literal DENY binding refuses it (a suspended partner). Admin principal.
 */
export async function topicWriters(
  kafka: Kafka,
  topic: string,
  permission: 'allow' | 'deny' = 'allow',
): Promise<string[]> {
  const resources = await matchingAcls(kafka, {
    resourceType: ResourceTypes.TOPIC,
    resourceName: topic,
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperations.WRITE,
    permissionType: permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
  });
  const users = resources.flatMap((r) => r.acls.map((a) => a.principal));
  return [...new Set(users.filter((p) => p.startsWith('User:')).map((p) => p.slice('User:'.length)))];
}

/**
 * The next offset of every partition of a topic (where a reader that wants only what comes next starts). On a
 * broker that has just started or a topic just created, waits for the partitions' leaders first (a service
 * started together with its broker, as the demo does, must not exit on NOT_LEADER_OR_FOLLOWER).
 */
export async function topicEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, string>> {
  return withAdmin(kafka, async (admin) => {
    await waitForLeaders(admin, [topic]);
    const metadata = await admin.metadata({ topics: [topic] });
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    const [listed] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: partitions.map((_, i) => ({ partitionIndex: i, timestamp: -1n })) },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset.toString()]));
  });
}

/** Deletes topics (tests clean up after themselves). Admin principal. */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  if (topics.length > 0) await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [...topics] }));
}

/** Deletes consumer groups (a follower's throwaway group at stop); a group still in use is left alone. */
export async function deleteGroups(kafka: Kafka, groups: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteGroups({ groups: [...groups] })).catch(() => undefined);
}
