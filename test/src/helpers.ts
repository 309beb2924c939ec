import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { actionerSpec, createActionerService, type ActionerService } from '@mod/actioner';
import { apiSpec, createApiService, type ApiService } from '@mod/api';
import { classifierSpec, createClassifierService, type ClassifierService } from '@mod/classifier-service';
import { loadConfig } from '@mod/config';
import {
  DefaultServicePrincipals,
  MEDIA_META_HEADER,
  partnerAcls,
  partnerTopic,
  partnerTopicSpec,
  partnerTopicSpecs,
  tenantOfPartnerTopic,
  serviceAcls,
  topicNames,
  topicSpecs,
  type PartnerKind,
  type PartnerMediaMeta,
  type Verdict,
} from '@mod/contracts';
import { createApiKey, createPool, migrate, upsertTenant, type Pool } from '@mod/db';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import {
  applyAcls,
  createKafka,
  createProducer,
  credentialsFromEnvironment,
  ensureTopics,
  readTopic,
  removeAcls,
  serviceEnvironment,
  type Kafka,
  type Producer,
  type ReadRecord,
} from '@mod/kafka';
import { createScannerService, scannerSpec, type ScannerService } from '@mod/scanner';
import { createLogger, createRegistry, type Logger, type Registry, type Tracing } from '@mod/telemetry';

export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';
export const logger: Logger = createLogger('e2e', process.env['TEST_LOG_LEVEL'] ?? 'silent');

/**
 * Which Kafka cluster a world uses and how it reaches it: the brokers, the environment holding the admin
 * principal and the credentials directory of the services' principals (`credentialsFromEnvironment`), and the
 * replication of the world's topics. Default: the cluster `deploy/local/test.sh` started (this process's env).
 */
export interface ClusterAccess {
  brokers: string;
  env: NodeJS.ProcessEnv;
  replicationFactor: number;
}

export const localCluster = (): ClusterAccess => ({
  brokers: KAFKA_BROKERS,
  env: process.env,
  replicationFactor: 1,
});

/** One test's own world: random topic prefix, consumer groups and Postgres schema. */
export interface World {
  cluster: ClusterAccess;
  prefix: string;
  schema: string;
  topics: ReturnType<typeof topicNames>;
  /** Settings every service shares (each service adds its own principal: `serviceEnv`). */
  env: Record<string, string>;
  /** The admin principal's client: tests create topics and ACLs and read every topic. */
  kafka: Kafka;
  db: Pool;
  /** Resolves once the world's topics exist, the services' ACLs on them are in place and its schema is migrated. */
  ready: Promise<void>;
  drop(): Promise<void>;
}

/** Consumer groups of the world's services (the service ACLs are granted on them). */
export function worldGroups(prefix: string) {
  return {
    scanner: `${prefix}scanner`,
    classifier: `${prefix}classifier`,
    actioner: `${prefix}actioner`,
    fetcher: `${prefix}fetcher`,
  };
}

/** `DATABASE_URL` naming another database of the same server (tests that fault their own database). */
export function databaseUrlFor(database: string): string {
  const url = new URL(DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export function createWorld(
  cluster: ClusterAccess = localCluster(),
  options: { databaseUrl?: string } = {},
): World {
  const databaseUrl = options.databaseUrl ?? DATABASE_URL;
  const id = randomUUID().slice(0, 8);
  const prefix = `t${id}.`;
  const schema = `e2e_${id}`;
  const groups = worldGroups(prefix);
  const env = {
    KAFKA_BROKERS: cluster.brokers,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    TOPIC_PREFIX: prefix,
    SCANNER_GROUP_ID: groups.scanner,
    CLASSIFIER_GROUP_ID: groups.classifier,
    ACTIONER_GROUP_ID: groups.actioner,
    FETCHER_GROUP_ID: groups.fetcher,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    HASH_THREADS: '2',
    OUTBOX_POLL_INTERVAL_MS: '50',
    MEDIA_RELAY_GRACE_MS: '500',
    PARTNER_TOPICS_REFRESH_MS: '300',
    API_PORT: '0',
  };
  const db = createPool({ connectionString: databaseUrl, schema, max: 3 });
  const kafka = createKafka({
    brokers: cluster.brokers.split(','),
    clientId: 'e2e',
    logger,
    credentials: credentialsFromEnvironment(undefined, cluster.env),
  });
  const acls = serviceAcls({ prefix, groups });
  // As an operator's `modctl kafka setup`, for this world's prefix; and the world's schema, migrated.
  const ready = Promise.all([
    ensureTopics(kafka, topicSpecs(prefix), { replicationFactor: cluster.replicationFactor }).then(() =>
      applyAcls(kafka, acls),
    ),
    migrate(db, schema),
  ]).then(() => undefined);
  ready.catch(() => undefined); // awaited by whoever needs it; an unawaited failure is not a crash
  return {
    cluster,
    prefix,
    schema,
    topics: topicNames(prefix),
    env,
    kafka,
    db,
    ready,
    async drop() {
      await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await db.end();
      await removeAcls(kafka, acls).catch(() => undefined);
    },
  };
}

/** The services' own principals (the SCRAM users `deploy/local/kafka.sh` creates). */
export const SERVICE_PRINCIPALS = DefaultServicePrincipals;

/** A service's settings in this world: the shared ones plus its own Kafka principal, then `overrides`. */
export function serviceEnv(
  world: World,
  role: keyof typeof SERVICE_PRINCIPALS,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return { ...world.env, ...serviceEnvironment(SERVICE_PRINCIPALS[role], world.cluster.env), ...overrides };
}

export interface Pipeline {
  app: FastifyInstance;
  scanner: ScannerService;
  /** Present when the pipeline was started with `{ classifier: true }`. */
  classifier?: ClassifierService;
  actioner: ActionerService;
  api: ApiService;
  registries: { scanner: Registry; classifier: Registry; actioner: Registry; api: Registry };
  stop(): Promise<void>;
}

type PipelineRole = 'api' | 'scanner' | 'classifier' | 'actioner';

/**
 * Starts api, scanner and actioner (and the classifier stage with `{ classifier: true }`: loading its models costs
 * seconds, and only tests about classification need it) in this process against real Kafka and Postgres.
 */
export async function startPipeline(
  world: World,
  overrides: Record<string, string> = {},
  options: { tracing?: Partial<Record<PipelineRole, Tracing>>; classifier?: boolean } = {},
): Promise<Pipeline> {
  const tracing = (role: PipelineRole) => {
    const t = options.tracing?.[role];
    return t === undefined ? {} : { tracing: t };
  };
  await world.ready;
  const registries = {
    scanner: createRegistry('scanner'),
    classifier: createRegistry('classifier'),
    actioner: createRegistry('actioner'),
    api: createRegistry('api'),
  };
  const api = createApiService(
    loadConfig(apiSpec, serviceEnv(world, 'api', overrides)),
    logger.child({ service: 'api' }),
    registries.api,
    tracing('api'),
  );
  const app = await api.start();
  const scanner = createScannerService(
    loadConfig(scannerSpec, serviceEnv(world, 'scanner', overrides)),
    logger.child({ service: 'scanner' }),
    registries.scanner,
    tracing('scanner'),
  );
  const actioner = createActionerService(
    loadConfig(actionerSpec, serviceEnv(world, 'actioner', overrides)),
    logger.child({ service: 'actioner' }),
    registries.actioner,
    tracing('actioner'),
  );
  const classifier = options.classifier
    ? createClassifierService(
        loadConfig(classifierSpec, serviceEnv(world, 'classifier', overrides)),
        logger.child({ service: 'classifier' }),
        registries.classifier,
        tracing('classifier'),
      )
    : undefined;
  await Promise.all([scanner.start(), actioner.start(), classifier?.start()]);
  return {
    app,
    scanner,
    ...(classifier === undefined ? {} : { classifier }),
    actioner,
    api,
    registries,
    async stop() {
      await Promise.all([scanner.stop(), actioner.stop(), classifier?.stop()]);
      await api.stop();
    },
  };
}

/**
 * The common scene of pipeline tests: ISP tenants subscribed to blocking, a platform `platform-1` with an API
 * key, and an automatic bank holding the blockhash of a known photo, applied by the scanner.
 */
export async function seedKnownImage(
  world: World,
  pipeline: Pipeline,
  o: { seed: number; isps: readonly string[] },
): Promise<{ known: Buffer; platformKey: string }> {
  const db = world.db;
  for (const id of o.isps) await upsertTenant(db, { id, kind: 'isp', name: id, subscribedToBlocking: true });
  await upsertTenant(db, {
    id: 'platform-1',
    kind: 'platform',
    name: 'Platform',
    subscribedToBlocking: false,
  });
  const platformKey = (await createApiKey(db, { tenantId: 'platform-1', role: 'platform' })).key;
  const known = await makePhoto(o.seed);
  const changes = world.topics.bankChanges;
  const { bank } = await createBank(
    db,
    { name: 'known-abuse', source: 'e2e', signalTypes: ['blockhash'], actionPolicy: 'automatic' },
    changes,
  );
  const { blockhash } = await hashMedia(known);
  await addEntries(db, bank.id, [{ signal: 'blockhash', value: blockhash, category: 'A' }], changes);
  await waitFor('the scanner to apply the bank', async () => indexedEntries(pipeline) === 1);
  return { known, platformKey };
}

/** A photo-like JPEG: smooth gradients plus seeded noise, so perceptual hashes are meaningful. */
export async function makePhoto(seed: number, width = 320, height = 240): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const cx = rand() * width;
  const cy = rand() * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.hypot(x - cx, y - cy);
      raw[i] = (128 + 100 * Math.sin(d / (8 + (seed % 7))) + rand() * 20) & 255;
      raw[i + 1] = ((x * 255) / width + rand() * 30) & 255;
      raw[i + 2] = ((y * 255) / height + rand() * 30) & 255;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** multipart/form-data body for `app.inject`. */
export function multipart(
  fields: Record<string, string>,
  file?: { field: string; name: string; type: string; bytes: Buffer },
) {
  const boundary = `----mod${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.name}"\r\ncontent-type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/**
 * Runs clean-up steps in order; a step still running after `warnAfterMs` is named on stderr (it still gets its
 * time), so a hung shutdown in CI says which part hung.
 */
export async function stopInOrder(
  steps: readonly (readonly [string, () => Promise<unknown> | undefined])[],
  warnAfterMs = 20_000,
): Promise<void> {
  for (const [name, step] of steps) {
    const started = Date.now();
    const warn = setInterval(
      () => console.error(`[clean-up] ${name} still running after ${Date.now() - started} ms`),
      warnAfterMs,
    );
    try {
      await step();
    } finally {
      clearInterval(warn);
    }
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function read(
  world: World,
  topic: string,
  until: (r: readonly ReadRecord[]) => boolean,
  timeoutMs = 60_000,
): Promise<ReadRecord[]> {
  await world.ready;
  return readTopic(world.kafka, topic, until, timeoutMs);
}

/**
 * Reads the outbound topics of `base` (requests, order events) of several partners at once, until `until` holds;
 * each record says whose topic it came from (`tenantId`). The topics are created first if the actioner has not yet.
 */
export async function readPartners(
  world: World,
  base: 'blockingRequests' | 'takedownRequests' | 'orderEvents',
  tenants: readonly string[],
  until: (r: readonly (ReadRecord & { tenantId: string })[]) => boolean,
  timeoutMs = 60_000,
): Promise<(ReadRecord & { tenantId: string })[]> {
  await world.ready;
  await ensureTopics(
    world.kafka,
    tenants.map((t) => partnerTopicSpec(world.prefix, base, t)),
  );
  const tagged = (records: readonly ReadRecord[]) =>
    records.map((r) => ({ ...r, tenantId: tenantOfPartnerTopic(world.prefix, base, r.topic) ?? '' }));
  const topics = tenants.map((t) => partnerTopic(world.prefix, base, t));
  return tagged(await readTopic(world.kafka, topics, (r) => until(tagged(r)), timeoutMs));
}

export function json<T>(r: ReadRecord): T {
  return JSON.parse(r.value?.toString('utf8') ?? 'null') as T;
}

/** Entries in the scanner's in-memory bank index. */
export function indexedEntries(pipeline: Pipeline): number {
  return Object.values(pipeline.scanner.banks.matcher().stats().entries).reduce((a, b) => a + b, 0);
}

/**
 * Publishes media straight to Kafka as a platform running Kafka would, on its own topic with the producer of
 * its own principal (a partner granted with `grantPartner`), and waits for its verdict.
 */
export async function scanViaKafka(world: World, partner: Partner, bytes: Buffer): Promise<Verdict> {
  const eventId = randomUUID();
  const submissionId = randomUUID();
  const meta: PartnerMediaMeta = { eventId, submissionId, submittedAt: new Date().toISOString() };
  await partner.producer.send({
    topic: partnerTopic(world.prefix, 'mediaSubmitted', partner.tenantId),
    messages: [{ key: submissionId, value: bytes, headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) } }],
  });
  const records = await read(world, world.topics.verdicts, (r) => r.some((m) => m.key === submissionId));
  return json<Verdict>(records.find((m) => m.key === submissionId)!);
}

/** A partner principal of the e2e run (`global-setup.ts`), bound to a tenant of this world. */
export interface Partner {
  principal: string;
  tenantId: string;
  kafka: Kafka;
  producer: Producer;
  close(): Promise<void>;
}

/** A platform tenant of this world that publishes media on its own topic, as `e2e-partner-a`. */
export async function kafkaPlatform(world: World, tenantId = 'platform-1'): Promise<Partner> {
  await world.ready;
  await upsertTenant(world.db, {
    id: tenantId,
    kind: 'platform',
    name: tenantId,
    subscribedToBlocking: false,
  });
  return grantPartner(world, 'e2e-partner-a', tenantId, 'platform');
}

/**
 * Grants a partner principal Kafka access as tenant `tenantId` of `kind` in this world (its topics and ACLs,
 * as `modctl kafka partner grant` does) and connects a producer under that principal.
 */
export async function grantPartner(
  world: World,
  principal: 'e2e-partner-a' | 'e2e-partner-b',
  tenantId: string,
  kind: PartnerKind,
): Promise<Partner> {
  await world.ready;
  await ensureTopics(world.kafka, partnerTopicSpecs(world.prefix, kind, tenantId), {
    replicationFactor: world.cluster.replicationFactor,
  });
  const acls = partnerAcls({ prefix: world.prefix, kind, tenantId, principal });
  await applyAcls(world.kafka, acls);
  const kafka = createKafka({
    brokers: world.cluster.brokers.split(','),
    clientId: principal,
    logger,
    credentials: credentialsFromEnvironment(principal, world.cluster.env),
  });
  const producer = await createProducer(kafka);
  return {
    principal,
    tenantId,
    kafka,
    producer,
    async close() {
      await producer.disconnect();
      await removeAcls(world.kafka, acls).catch(() => undefined);
    },
  };
}
