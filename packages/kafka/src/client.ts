import { readFileSync } from 'node:fs';
import kafkajs, { type Admin, type Kafka, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import {
  largestValueBytes,
  singleRecordBatchBytes,
  MEDIA_META_HEADER,
  ModError,
  type AclBinding,
  type TopicSpec,
} from '@mod/contracts';
import type { Logger } from '@mod/telemetry';

export type { Kafka, Producer, Admin, Consumer } from 'kafkajs';

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
}

/** The Kafka settings every service reads from its environment (`@mod/config` `commonSpec`). */
export interface KafkaEnvConfig {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512' | 'scram-sha-256';
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD: string;
  readonly KAFKA_TLS: boolean;
  readonly KAFKA_TLS_CA_PATH: string;
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

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  Kafka: KafkaClient,
  Partitioners,
  ResourcePatternTypes,
  logLevel,
} = kafkajs;

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client, authenticated with SCRAM (over TLS by default), whose logs go to the service's logger. */
export function createKafka(options: KafkaOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  const c = options.credentials;
  const sasl: SASLOptions =
    c.mechanism === 'scram-sha-512'
      ? { mechanism: 'scram-sha-512', username: c.username, password: c.password }
      : { mechanism: 'scram-sha-256', username: c.username, password: c.password };
  return new KafkaClient({
    clientId: options.clientId,
    brokers: [...options.brokers],
    sasl,
    ssl: c.tls ? (c.caPem === undefined ? true : { ca: [c.caPem] }) : false,
    connectionTimeout: 5_000,
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info'](rest, message);
      },
  });
}

/** An idempotent producer (no duplicates from its own retries), connected. */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

export interface EnsureTopicsOptions {
  /** Replicas of each new topic's partitions. Default 1 (single broker). */
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
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: [
          { name: 'retention.ms', value: String(s.retentionMs) },
          { name: 'cleanup.policy', value: s.cleanupPolicy },
          { name: 'max.message.bytes', value: String(options.maxMessageBytes ?? 16 * 1024 * 1024) },
        ],
      })),
    });
    return missing.map((s) => s.name);
  });
}

/**
 * Start-up check of a service: every topic it uses exists (services cannot create internal topics: the operator
 * does, with `modctl kafka setup`). Throws one error naming every missing topic.
 */
export async function requireTopics(kafka: Kafka, names: readonly string[]): Promise<void> {
  const existing = new Set(await withAdmin(kafka, (admin) => admin.listTopics()));
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length > 0)
    throw new ModError(
      'MOD_ERR_KAFKA_TOPIC_MISSING',
      `topics missing or not visible to this principal: ${missing.join(', ')} (create them with \`modctl kafka setup\`)`,
      { retriable: true },
    );
}

/** Topics this principal can see (DESCRIBE), filtered. */
export async function listTopics(kafka: Kafka, keep: (name: string) => boolean): Promise<string[]> {
  return (await withAdmin(kafka, (admin) => admin.listTopics())).filter(keep).sort();
}

/** The largest record batch a topic accepts (`max.message.bytes`, the topic's or the broker's default). */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
    });
    const value = resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
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
 * `mod-meta` header at its largest (`metaMaxBytes`) and the record overhead. Producers that size their uploads
 * or fetches by it never publish a message the broker refuses.
 */
export function largestMediaBytes(maxMessageBytes: number, metaMaxBytes: number): number {
  return Math.max(
    0,
    largestValueBytes(maxMessageBytes, {
      keyBytes: 36,
      headers: [{ keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: metaMaxBytes }],
    }),
  );
}

/** Sets topic-level configuration (operators and tests: e.g. a topic's `max.message.bytes`). Admin principal. */
export async function alterTopicConfig(
  kafka: Kafka,
  topic: string,
  entries: Readonly<Record<string, string>>,
): Promise<void> {
  await withAdmin(kafka, (admin) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: Object.entries(entries).map(([name, value]) => ({ name, value })),
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
}

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
      messages: chunk.map((m) => ({ key: m.key, value: m.media, headers: { [MEDIA_META_HEADER]: m.meta } })),
    });
    chunk = [];
    chunkBytes = 0;
  };
  for (const m of messages) {
    const bytes = singleRecordBatchBytes({
      keyBytes: Buffer.byteLength(m.key),
      valueBytes: m.media.length,
      headers: [{ keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: m.meta.length }],
    });
    if (chunk.length > 0 && (chunkBytes + bytes > maxMessageBytes || chunk[0]?.topic !== m.topic))
      await flush();
    chunk.push(m);
    chunkBytes += bytes;
  }
  await flush();
}

const OPERATIONS: Record<AclBinding['operation'], kafkajs.AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  describe: AclOperationTypes.DESCRIBE,
  'describe-configs': AclOperationTypes.DESCRIBE_CONFIGS,
  delete: AclOperationTypes.DELETE,
};

/** An ALLOW binding as kafkajs takes it (to create, or as an exact filter to delete). */
const kafkaAcl = (b: AclBinding) => ({
  resourceType: b.resourceType === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
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
  await withAdmin(kafka, (admin) => admin.createAcls({ acl: bindings.map(kafkaAcl) }));
}

/** Deletes bindings (e.g. when a partner's access ends). Needs the admin principal. */
export async function removeAcls(kafka: Kafka, bindings: readonly AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  await withAdmin(kafka, (admin) => admin.deleteAcls({ filters: bindings.map(kafkaAcl) }));
}

/** Readiness: the broker answers a metadata request. */
export async function pingKafka(admin: Admin): Promise<boolean> {
  try {
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  }
}

/** A service's client: its own principal from its validated environment, client id `<KAFKA_CLIENT_ID>-<role>`. */
export function createServiceKafka(
  config: KafkaEnvConfig & { readonly KAFKA_CLIENT_ID: string },
  role: string,
  logger: Logger,
): Kafka {
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${role}`,
    logger,
    credentials: credentialsFromConfig(config),
  });
}
