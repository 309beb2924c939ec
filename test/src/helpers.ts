import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { actionerSpec, createActionerService, type ActionerService } from '@mod/actioner';
import { apiSpec, createApiService, type ApiService } from '@mod/api';
import { loadConfig } from '@mod/config';
import { Codecs, topicNames, type MediaSubmitted, type Verdict } from '@mod/contracts';
import { createPool, type Pool } from '@mod/db';
import { createKafka, readTopic, type Kafka, type Producer, type ReadRecord } from '@mod/kafka';
import { createScannerService, scannerSpec, type ScannerService } from '@mod/scanner';
import { createLogger, createRegistry, type Logger, type Registry } from '@mod/telemetry';

export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://moderation@127.0.0.1:5432/moderation';
export const logger: Logger = createLogger('e2e', process.env['TEST_LOG_LEVEL'] ?? 'silent');

/** One test's own world: random topic prefix, consumer groups and Postgres schema. */
export interface World {
  prefix: string;
  schema: string;
  topics: ReturnType<typeof topicNames>;
  env: Record<string, string>;
  kafka: Kafka;
  db: Pool;
  drop(): Promise<void>;
}

export function createWorld(): World {
  const id = randomUUID().slice(0, 8);
  const prefix = `t${id}.`;
  const schema = `e2e_${id}`;
  const env = {
    KAFKA_BROKERS,
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    TOPIC_PREFIX: prefix,
    SCANNER_GROUP_ID: `${prefix}scanner`,
    ACTIONER_GROUP_ID: `${prefix}actioner`,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    HASH_THREADS: '2',
    OUTBOX_POLL_INTERVAL_MS: '50',
    API_PORT: '0',
  };
  const db = createPool({ connectionString: DATABASE_URL, schema, max: 3 });
  return {
    prefix,
    schema,
    topics: topicNames(prefix),
    env,
    kafka: createKafka({ brokers: [KAFKA_BROKERS], clientId: 'e2e', logger }),
    db,
    async drop() {
      await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await db.end();
    },
  };
}

export interface Pipeline {
  app: FastifyInstance;
  scanner: ScannerService;
  actioner: ActionerService;
  api: ApiService;
  registries: { scanner: Registry; actioner: Registry; api: Registry };
  stop(): Promise<void>;
}

/** Starts api, scanner and actioner in this process against real Kafka and Postgres. */
export async function startPipeline(world: World, overrides: Record<string, string> = {}): Promise<Pipeline> {
  const env = { ...world.env, ...overrides };
  const registries = {
    scanner: createRegistry('scanner'),
    actioner: createRegistry('actioner'),
    api: createRegistry('api'),
  };
  const api = createApiService(loadConfig(apiSpec, env), logger.child({ service: 'api' }), registries.api);
  const app = await api.start();
  const scanner = createScannerService(
    loadConfig(scannerSpec, env),
    logger.child({ service: 'scanner' }),
    registries.scanner,
  );
  const actioner = createActionerService(
    loadConfig(actionerSpec, env),
    logger.child({ service: 'actioner' }),
    registries.actioner,
  );
  await Promise.all([scanner.start(), actioner.start()]);
  return {
    app,
    scanner,
    actioner,
    api,
    registries,
    async stop() {
      await Promise.all([scanner.stop(), actioner.stop()]);
      await api.stop();
    },
  };
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

export function read(
  world: World,
  topic: string,
  until: (r: readonly ReadRecord[]) => boolean,
  timeoutMs = 60_000,
) {
  return readTopic(world.kafka, topic, until, timeoutMs);
}

export function json<T>(r: ReadRecord): T {
  return JSON.parse(r.value?.toString('utf8') ?? 'null') as T;
}

/** Entries in the scanner's in-memory bank index. */
export function indexedEntries(pipeline: Pipeline): number {
  return Object.values(pipeline.scanner.banks.matcher().stats().entries).reduce((a, b) => a + b, 0);
}

/** Publishes media straight to Kafka (as a platform running Kafka would) and waits for its verdict. */
export async function scanViaKafka(world: World, producer: Producer, bytes: Buffer): Promise<Verdict> {
  const event: MediaSubmitted = {
    eventId: randomUUID(),
    submissionId: randomUUID(),
    tenantId: 'platform-1',
    source: 'kafka',
    mediaBase64: bytes.toString('base64'),
    submittedAt: new Date().toISOString(),
  };
  await producer.send({
    topic: world.topics.mediaSubmitted,
    messages: [{ key: event.submissionId, value: Codecs.mediaSubmitted.encode(event) }],
  });
  const records = await read(world, world.topics.verdicts, (r) =>
    r.some((m) => m.key === event.submissionId),
  );
  return json<Verdict>(records.find((m) => m.key === event.submissionId)!);
}
