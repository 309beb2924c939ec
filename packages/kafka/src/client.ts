import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  Admin as PlatformaticAdmin,
  AclOperations,
  AclPermissionTypes,
  ConfigResourceTypes,
  Producer as PlatformaticProducer,
  ProduceAcks,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
  type BaseOptions,
} from '@platformatic/kafka';
import {
  largestValueBytes,
  singleRecordBatchBytes,
  MEDIA_META_HEADER,
  ModError,
  type AclBinding,
  type TopicSpec,
} from '@mod/contracts';
import { TRACEPARENT_HEADER, traceparentOf, type Logger } from '@mod/telemetry';

/** How a client authenticates: SCRAM over TLS (the default deployment), or SCRAM over plain TCP. */
export interface KafkaCredentials {
  mechanism: 'scram-sha-512' | 'scram-sha-256';
  username: string;
  /** Secret: never logged. */
  password: string;
  /** TLS to the broker (verified against `caPem`, or the system's CAs when absent). */
  tls: boolean;
  /** PEM of the CA that signed the broker's certificate. */
  caPem?: string;
}

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  credentials: KafkaCredentials;
  /** Times a failed request is tried again (growing delays up to 5 s). Default 8: about half a minute. */
  retries?: number;
  /** Static membership id of this connection's consumer groups (`Kafka.groupInstanceId`). Default: none. */
  groupInstanceId?: string;
}

/**
 * A connection to the cluster: where it is, who this client is, and the clients made from it (a producer, consumers,
 * an admin for checks). Clients of the maintained `@platformatic/kafka` (Kafka 3.5 to 4.x, KIP-848, pure
 * JavaScript); nothing outside this package names it.
 */
export interface Kafka {
  readonly clientId: string;
  readonly logger: Logger;
  /** The options every client made from this connection shares (brokers, SASL, TLS, retries). */
  readonly base: BaseOptions;
  /** A long-lived admin for frequent checks (readiness); made on first use, closed by `closeKafka`. */
  shared?: PlatformaticAdmin;
  /**
   * This instance's static membership id (KIP-345) in the consumer groups its runners join: a member that
   * rejoins with it after a crash gets its partitions back at once, where a new dynamic member waits for the
   * dead one's session to time out. Undefined: dynamic membership.
   */
  readonly groupInstanceId?: string;
}

/** The Kafka settings every service reads from its environment (`@mod/config` `commonSpec`). */
export interface KafkaEnvConfig {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512' | 'scram-sha-256';
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD: string;
  readonly KAFKA_TLS: boolean;
  readonly KAFKA_TLS_CA_PATH: string;
  /** Static membership id; '' derives one from the host name and role, 'none' turns static membership off. */
  readonly KAFKA_GROUP_INSTANCE_ID?: string;
}

/** Credentials from the validated environment; reads the CA file (a public certificate, not a secret). */
export function credentialsFromConfig(config: KafkaEnvConfig): KafkaCredentials {
  let caPem: string | undefined;
  if (config.KAFKA_TLS && config.KAFKA_TLS_CA_PATH !== '') {
    try {
      caPem = readFileSync(config.KAFKA_TLS_CA_PATH, 'utf8');
    } catch (cause) {
      throw new ModError(
        'MOD_ERR_KAFKA_CA_UNREADABLE',
        `cannot read KAFKA_TLS_CA_PATH ${config.KAFKA_TLS_CA_PATH}`,
        {
          cause,
        },
      );
    }
  }
  return {
    mechanism: config.KAFKA_SASL_MECHANISM,
    username: config.KAFKA_SASL_USERNAME,
    password: config.KAFKA_SASL_PASSWORD,
    tls: config.KAFKA_TLS,
    ...(caPem === undefined ? {} : { caPem }),
  };
}

/**
 * A connection authenticated with SCRAM (over TLS by default). Requests are retried with a growing delay
 * (connection failures, a leader moving), so a broker restart or a leader election is ridden out.
 */
export function createKafka(options: KafkaOptions): Kafka {
  const c = options.credentials;
  const base: BaseOptions = {
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    sasl: {
      mechanism: c.mechanism === 'scram-sha-512' ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256',
      username: c.username,
      password: c.password,
    },
    ...(c.tls ? { tls: c.caPem === undefined ? {} : { ca: [c.caPem] } } : {}),
    connectTimeout: 5_000,
    requestTimeout: 30_000,
    retries: options.retries ?? 8,
    retryDelay: (_client, _operation, attempt) => Math.min(5_000, 200 * 2 ** (attempt - 1)),
  };
  return {
    clientId: options.clientId,
    logger: options.logger,
    base,
    ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
  };
}

/**
 * The static membership id of a service instance: `configured` (`KAFKA_GROUP_INSTANCE_ID`), or for '' the host
 * name and role (`<hostname>-scanner`: a Kubernetes pod's name, kept when its container restarts; a compose
 * container's id), or undefined for 'none' (dynamic membership). Two live instances of a role on one host need
 * ids of their own (set the variable): the broker fences one of two members that share an id, and the runner
 * then says so and carries on as a dynamic member.
 */
export function groupInstanceIdFor(configured: string, role: string, host = hostname()): string | undefined {
  if (configured === 'none') return undefined;
  if (configured !== '') return configured;
  return `${host}-${role}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200);
}

/** Closes what the connection holds (its shared admin). */
export async function closeKafka(kafka: Kafka): Promise<void> {
  const shared = kafka.shared;
  kafka.shared = undefined;
  await shared?.close();
}

/** A message to publish; strings are UTF-8. */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Readonly<Record<string, string | Buffer>>;
  /** The record's CreateTime, ms since the epoch (default: when it is sent). */
  timestamp?: number;
}

/** Publishes messages. Idempotent (no duplicates from its own retries), acks from every in-sync replica. */
export interface Producer {
  /** Publishes messages to one topic; resolves once the broker has them all. */
  send(request: { topic: string; messages: readonly OutgoingMessage[] }): Promise<void>;
  /** Publishes messages to several topics in one go. */
  sendBatch(request: {
    topicMessages: readonly { topic: string; messages: readonly OutgoingMessage[] }[];
  }): Promise<void>;
  disconnect(): Promise<void>;
}

const toBuffer = (v: string | Buffer | null | undefined): Buffer | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

/**
 * A record as the client takes it. A message sent inside a trace (a step, a request) carries its `traceparent`,
 * unless it names one itself (a relay publishing the context its outbox row was committed in).
 */
const toRecord = (topic: string, m: OutgoingMessage) => {
  const key = toBuffer(m.key);
  const value = toBuffer(m.value);
  const given = Object.entries(m.headers ?? {});
  const traceparent = m.headers?.[TRACEPARENT_HEADER] === undefined ? traceparentOf() : null;
  if (traceparent !== null) given.push([TRACEPARENT_HEADER, traceparent]);
  const headers =
    given.length === 0
      ? undefined
      : new Map(given.map(([k, v]) => [Buffer.from(k, 'utf8'), toBuffer(v) as Buffer]));
  return {
    topic,
    ...(key === undefined ? {} : { key }),
    ...(value === undefined ? {} : { value }),
    ...(headers === undefined ? {} : { headers }),
    ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }),
  };
};

/** Most value bytes one coalesced produce request carries; a larger send goes alone. */
const COALESCE_MAX_BYTES = 1024 * 1024;

type ProducerRecord = ReturnType<typeof toRecord>;

interface PendingSend {
  records: ProducerRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * An idempotent producer (no duplicates from its own retries), acks=all. Sends made while a request is in flight
 * are coalesced into the next one (up to 1 MiB of values), in the order they were made: under load, many steps'
 * verdicts share one request instead of paying one round trip and one broker append each; idle, a send goes at
 * once (no linger). When a coalesced request fails, each send is tried alone, so one bad message (too large, a
 * topic not allowed) fails only its own caller.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  // Reach the cluster first, so a service whose broker or credentials are wrong fails at start-up (an
  // idempotent producer would wait for its producer id instead of failing).
  await withAdmin(kafka, (admin) => admin.metadata({ topics: [] }));
  const producer = new PlatformaticProducer({ ...kafka.base, idempotent: true, acks: ProduceAcks.ALL });
  const sendAll = async (records: ProducerRecord[]) => {
    try {
      await producer.send({ messages: records });
    } catch (err) {
      // The client wraps the broker's answer (e.g. MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED): say it.
      throw new ModError('MOD_ERR_KAFKA_PRODUCE', `producing failed: ${errorText(err)}`, {
        retriable: true,
        cause: err,
      });
    }
  };
  let queue: PendingSend[] = [];
  let inFlight = false;

  const flush = (): void => {
    if (inFlight || queue.length === 0) return;
    let bytes = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || bytes + (queue[n]?.bytes ?? 0) <= COALESCE_MAX_BYTES))
      bytes += queue[n++]?.bytes ?? 0;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    inFlight = true;
    void (async () => {
      try {
        await sendAll(batch.flatMap((p) => p.records));
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0]?.reject(err);
        else
          for (const p of batch)
            await sendAll(p.records).then(
              () => p.resolve(),
              (e: unknown) => p.reject(e),
            );
      } finally {
        inFlight = false;
        flush();
      }
    })();
  };

  const enqueue = (records: ProducerRecord[]): Promise<void> => {
    if (records.length === 0) return Promise.resolve();
    const bytes = records.reduce((a, r) => a + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
    return new Promise<void>((resolve, reject) => {
      queue.push({ records, bytes, resolve, reject });
      flush();
    });
  };
  return {
    send: ({ topic, messages }) => enqueue(messages.map((m) => toRecord(topic, m))),
    sendBatch: ({ topicMessages }) =>
      enqueue(topicMessages.flatMap((t) => t.messages.map((m) => toRecord(t.topic, m)))),
    disconnect: () => producer.close(),
  };
}

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

/** The messages of an error and of everything it wraps. */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  const cause = (err as { cause?: unknown }).cause;
  return [err.message, ...nested.map(errorText), cause === undefined ? '' : errorText(cause)].join(' | ');
}

export interface EnsureTopicsOptions {
  /** Replicas of each new topic's partitions. Default: the cluster's `default.replication.factor`. */
  replicationFactor?: number;
  /** Largest record batch each new topic accepts, bytes. Default 16 MiB. */
  maxMessageBytes?: number;
}

/**
 * Creates missing topics with their retention and cleanup policy; existing topics are left as they are. Needs
 * the right to create them: the operator's admin principal (`modctl kafka setup`), or the actioner for the
 * partners' outbound topics.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<string[]> {
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
          ],
        });
        created.push(s.name);
      } catch (err) {
        if (!alreadyExists(err)) throw err;
      }
    }
    if (created.length > 0) await waitForLeaders(admin, created);
    return created;
  });
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

/** The largest record batch a topic accepts (`max.message.bytes`, the topic's or the broker's default). */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const [description] = await admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configurationKeys: ['max.message.bytes'],
        },
      ],
    });
    const value = description?.configs.find((e) => e.name === 'max.message.bytes')?.value;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new ModError('MOD_ERR_KAFKA_TOPIC_CONFIG', `topic ${topic} has no max.message.bytes`, {
        retriable: true,
      });
    return n;
  });
}

/**
 * The largest media a message can carry on a topic of `maxMessageBytes` (`topicMaxMessageBytes`) less the key (a submission id), the
 * `mod-meta` header at its largest (`metaMaxBytes`), the `traceparent` header and the record overhead. Producers that size their uploads
 * or fetches by it never publish a message the broker refuses.
 */
export function largestMediaBytes(maxMessageBytes: number, metaMaxBytes: number): number {
  return Math.max(
    0,
    largestValueBytes(maxMessageBytes, {
      keyBytes: 36,
      headers: [
        { keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: metaMaxBytes },
        TRACEPARENT_HEADER_SIZE,
      ],
    }),
  );
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
  await withAdmin(kafka, (admin) =>
    admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: Object.entries(entries).map(([name, value]) => ({ name, configOperation: 0, value })),
        },
      ],
    }),
  );
}

/** A media message: the media as the value, the event in the `mod-meta` header. */
export interface MediaMessage {
  topic: string;
  key: string;
  meta: Buffer;
  media: Buffer;
  /** The trace the upload belongs to (stored with the outbox row), sent as the `traceparent` header. */
  traceparent?: string | null;
}

/** Bytes of a `traceparent` header (version 00: 55 characters) and its name: part of every media record's size. */
const TRACEPARENT_HEADER_SIZE = { keyBytes: TRACEPARENT_HEADER.length, valueBytes: 55 };

/**
 * Publishes media messages in order, in as few requests as the topic's record-batch limit allows: consecutive
 * messages of one topic whose records together stay within `maxMessageBytes` go in one send (each partition's
 * batch is then within the limit too); a message alone always fits, as producers size media by
 * `largestMediaBytes`.
 */
export async function publishMedia(
  producer: Producer,
  messages: readonly MediaMessage[],
  maxMessageBytes: number,
): Promise<void> {
  let chunk: MediaMessage[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const topic = (chunk[0] as MediaMessage).topic;
    await producer.send({
      topic,
      messages: chunk.map((m) => ({
        key: m.key,
        value: m.media,
        headers: {
          [MEDIA_META_HEADER]: m.meta,
          ...(m.traceparent === undefined || m.traceparent === null
            ? {}
            : { [TRACEPARENT_HEADER]: m.traceparent }),
        },
      })),
    });
    chunk = [];
    chunkBytes = 0;
  };
  for (const m of messages) {
    const bytes = singleRecordBatchBytes({
      keyBytes: Buffer.byteLength(m.key),
      valueBytes: m.media.length,
      headers: [
        { keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: m.meta.length },
        TRACEPARENT_HEADER_SIZE,
      ],
    });
    if (chunk.length > 0 && (chunkBytes + bytes > maxMessageBytes || chunk[0]?.topic !== m.topic))
      await flush();
    chunk.push(m);
    chunkBytes += bytes;
  }
  await flush();
}

const OPERATIONS = {
  read: AclOperations.READ,
  write: AclOperations.WRITE,
  create: AclOperations.CREATE,
  describe: AclOperations.DESCRIBE,
  'describe-configs': AclOperations.DESCRIBE_CONFIGS,
  delete: AclOperations.DELETE,
} as const satisfies Record<AclBinding['operation'], number>;

/** An ALLOW binding as the client takes it (to create, or as an exact filter to delete). */
const kafkaAcl = (b: AclBinding): Acl => ({
  resourceType: b.resourceType === 'topic' ? ResourceTypes.TOPIC : ResourceTypes.GROUP,
  resourceName: b.name,
  resourcePatternType:
    b.patternType === 'literal' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
  principal: b.principal,
  host: '*',
  operation: OPERATIONS[b.operation],
  permissionType: AclPermissionTypes.ALLOW,
});

/** Creates ALLOW bindings (creating an existing binding again changes nothing). Needs the admin principal. */
export async function applyAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withAdmin(kafka, (admin) => admin.createAcls({ creations: bindings.map(kafkaAcl) }));
}

/** Deletes bindings (e.g. when a partner's access ends). Needs the admin principal. */
export async function removeAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withAdmin(kafka, (admin) => admin.deleteAcls({ filters: bindings.map(kafkaAcl) }));
}

/** Readiness: the cluster answers a metadata request (through the connection's shared admin). */
export async function pingKafka(kafka: Kafka): Promise<boolean> {
  try {
    kafka.shared ??= new PlatformaticAdmin(kafka.base);
    await kafka.shared.metadata({ topics: [], forceUpdate: true });
    return true;
  } catch {
    return false;
  }
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

/**
 * A service's client: its own principal from its validated environment, client id `<KAFKA_CLIENT_ID>-<role>`, and
 * its static membership id (`groupInstanceIdFor`).
 */
export function createServiceKafka(
  config: KafkaEnvConfig & { readonly KAFKA_CLIENT_ID: string },
  role: string,
  logger: Logger,
): Kafka {
  const groupInstanceId = groupInstanceIdFor(config.KAFKA_GROUP_INSTANCE_ID ?? '', role);
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${role}`,
    logger,
    credentials: credentialsFromConfig(config),
    ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
  });
}
