/**
 * Media intake benchmark (trust-boundaries issue): the intake as it was (the event JSON with the media in base64,
 * the submission inserted, then the event published straight to the broker and awaited) against the intake as it
 * is (the media as bytes with the event in a header, the submission and the message committed together in the
 * intake outbox, published by the relay), in one run, on the real broker (SASL/SCRAM over TLS) and PostgreSQL.
 *
 *   pnpm build && pnpm bench:intake        (INTAKE_BENCH_N=300 uploads per round, INTAKE_BENCH_CONCURRENCY=8)
 *
 * Needs what `deploy/local/test.sh` exports (KAFKA_SASL_* of the admin principal, KAFKA_TLS_CA_PATH,
 * DATABASE_URL). Each side runs twice, interleaved. Printed per round: uploads/s answered, the answer's p50/p99,
 * seconds until every message was on the topic, media/s through the whole intake (until a consumer running
 * alongside, as the scanner does, has every event and its bytes) and that consumer's decode cost per message;
 * then after/before.
 * Both sides start after the upload is parsed (multipart parsing and HTTP are the same for both) and both
 * compute the SHA-256 the answer carries.
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { Type } from '@sinclair/typebox';
import { Codecs, createCodec, MEDIA_META_HEADER } from '@mod/contracts';
import {
  countPendingMedia,
  deletePublishedMedia,
  insertSubmission,
  receiveMedia,
  relayMediaOutbox,
  type PendingMedia,
} from '@mod/db/submissions';
import { createMediaDispatcher } from '@mod/api';
import {
  createConsumerRunner,
  createKafka,
  createProducer,
  createRelayLoop,
  ensureTopics,
  ok,
  publishMedia,
  type Producer,
} from '@mod/kafka';
import { createTestSchema, credentialsFromEnvironment } from '@mod/testing';
import { createLogger, createRegistry, createStepMetrics } from '@mod/telemetry';
import { apiMediaMeta } from './media-events.js';
import { photoLikeSvg } from './photo-like.js';
import { fmt, pct } from './report-format.js';

const N = Number(process.env['INTAKE_BENCH_N'] ?? 300);
const CONCURRENCY = Number(process.env['INTAKE_BENCH_CONCURRENCY'] ?? 8);
const DISTINCT_IMAGES = 12;

/** The event of `mod.media-submitted.v1`, as it was: the media inside, in base64. */
const LegacyMediaSubmitted = Type.Object(
  {
    eventId: Type.String(),
    submissionId: Type.String(),
    tenantId: Type.String(),
    source: Type.String(),
    mediaBase64: Type.String({ maxLength: 22_000_000 }),
    submittedAt: Type.String(),
  },
  { additionalProperties: false },
);
const legacyCodec = createCodec('media-submitted.v1', LegacyMediaSubmitted);

interface Round {
  side: 'before' | 'after';
  uploadsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** From the first upload until every message was on the broker. */
  publishedS: number;
  /** Uploads per second from the first upload until the consumer had decoded every one (the whole intake). */
  intakePerS: number;
  decodeUsPerMessage: number;
  bytesPerMessage: number;
}

/** Runs `n` tasks with `concurrency` at once; returns each task's latency in ms and the wall time in s. */
async function load(
  n: number,
  task: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; wallS: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallS: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# media intake benchmark\nmachine: ${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GB RAM, Node ${process.version}`,
  );
  const logger = createLogger('bench', 'warn');
  const kafka = createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-intake',
    logger,
    credentials: credentialsFromEnvironment(),
  });
  const db = await createTestSchema();
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  const producer: Producer = await createProducer(kafka);
  // Photo-like scenes with sensor-like noise: JPEG sizes of camera pictures at this resolution.
  const images = await Promise.all(
    Array.from({ length: DISTINCT_IMAGES }, async (_, s) => {
      const { data, info } = await sharp(Buffer.from(photoLikeSvg(1280, 960, s + 1)))
        .raw()
        .toBuffer({ resolveWithObject: true });
      let seed = s + 1;
      for (let i = 0; i < data.length; i++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = Math.max(0, Math.min(255, (data[i] ?? 0) + ((seed >>> 24) % 25) - 12));
      }
      return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
        .jpeg({ quality: 85 })
        .toBuffer();
    }),
  );
  const meanKb = images.reduce((a, b) => a + b.length, 0) / images.length / 1024;
  console.log(
    `${N} uploads per round of ${DISTINCT_IMAGES} photo-like 1280x960 JPEGs (mean ${fmt(meanKb, 0)} KiB), ${CONCURRENCY} at once; broker SASL_SSL on loopback, PostgreSQL on loopback`,
  );
  const rounds: Round[] = [];
  try {
    for (let r = 0; r < 2; r++) {
      for (const side of ['before', 'after'] as const) {
        const topic = `${prefix}${side}-${r}`;
        await ensureTopics(kafka, [
          { name: topic, partitions: 3, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
        ]);
        rounds.push(side === 'before' ? await before(topic) : await after(topic));
      }
    }
  } finally {
    await producer.disconnect();
    await db.drop();
  }

  async function before(topic: string): Promise<Round> {
    const consumer = await consume(topic, (m) => {
      const event = legacyCodec.decode(m.value);
      return Buffer.from(event.mediaBase64, 'base64').length;
    });
    const started = performance.now();
    const { latencies, wallS } = await load(N, async (i) => {
      const media = images[i % images.length] as Buffer;
      const submissionId = randomUUID();
      const sha256 = createHash('sha256').update(media).digest('hex');
      const value = legacyCodec.encode({
        eventId: randomUUID(),
        submissionId,
        tenantId: 'platform-1',
        source: 'api',
        mediaBase64: media.toString('base64'),
        submittedAt: new Date().toISOString(),
      });
      await insertSubmission(db.pool, {
        id: submissionId,
        tenantId: 'platform-1',
        source: 'api',
        sha256,
        bytes: media.length,
      });
      await producer.send({ topic, messages: [{ key: submissionId, value }] });
    });
    const publishedS = (performance.now() - started) / 1000;
    const consumed = await consumer.done;
    await consumer.stop();
    return report('before', latencies, wallS, publishedS, consumed, started);
  }

  async function after(topic: string): Promise<Round> {
    // As the API wires it: published from memory after the commit; the relay only for what that misses.
    const publish = (messages: PendingMedia[]) => publishMedia(producer, messages, 16 * 1024 * 1024);
    const dispatcher = createMediaDispatcher({
      publish,
      remove: (ids) => deletePublishedMedia(db.pool, ids),
      logger,
    });
    const relay = createRelayLoop({
      name: 'bench',
      logger,
      intervalMs: 1000,
      once: () => relayMediaOutbox(db.pool, publish, { minAgeMs: 10_000 }),
    });
    relay.start();
    const consumer = await consume(topic, (m) => {
      Codecs.mediaMeta.decode(m.headers[MEDIA_META_HEADER] ?? null);
      return m.value?.length ?? 0;
    });
    const started = performance.now();
    const { latencies, wallS } = await load(N, async (i) => {
      const media = images[i % images.length] as Buffer;
      const submissionId = randomUUID();
      const sha256 = createHash('sha256').update(media).digest('hex');
      const meta = apiMediaMeta(submissionId, 'platform-1');
      const received = await receiveMedia(db.pool, {
        submissionId,
        tenantId: 'platform-1',
        externalRef: null,
        reportedCategory: null,
        sha256,
        bytes: media.length,
        idempotencyKey: null,
        topic,
        meta: Codecs.mediaMeta.encode(meta),
        media,
        traceparent: null,
      });
      if (received.kind !== 'received') throw new Error('not received');
      dispatcher.dispatch({
        id: received.outboxId,
        topic,
        key: submissionId,
        meta: Codecs.mediaMeta.encode(meta),
        media,
        traceparent: null,
      });
    });
    await dispatcher.drain();
    while ((await countPendingMedia(db.pool)) > 0) await new Promise((r) => setTimeout(r, 5));
    const publishedS = (performance.now() - started) / 1000;
    await relay.stop();
    const consumed = await consumer.done;
    await consumer.stop();
    return report('after', latencies, wallS, publishedS, consumed, started);
  }

  /**
   * A consumer of the round's topic running while the uploads go in, doing what the scanner does first with a
   * message: get the event and the media bytes. Resolves once all N are decoded, with the time that took from
   * `started` and the decode cost per message.
   */
  async function consume(
    topic: string,
    step: (m: { value: Buffer | null; headers: Record<string, Buffer> }) => number,
  ): Promise<{
    done: Promise<{ atMs: number; usPerMessage: number; bytes: number }>;
    stop: () => Promise<void>;
  }> {
    let count = 0;
    let decodeMs = 0;
    let bytes = 0;
    let resolve: (v: { atMs: number; usPerMessage: number; bytes: number }) => void = () => undefined;
    const done = new Promise<{ atMs: number; usPerMessage: number; bytes: number }>((r) => (resolve = r));
    // The scanner's own consumer runner, with a step that only takes the event and the bytes.
    const runner = createConsumerRunner({
      kafka,
      groupId: `${topic}-scanner`,
      topics: [topic],
      stepName: 'bench',
      producer,
      deadLetterTopic: topic,
      logger,
      metrics: createStepMetrics(createRegistry('bench')),
      maxInFlight: 8,
      step: (message) => {
        const t = performance.now();
        if (step({ value: message.value, headers: { ...message.headers } }) === 0)
          throw new Error('no media decoded');
        decodeMs += performance.now() - t;
        bytes += (message.value?.length ?? 0) + (message.headers[MEDIA_META_HEADER]?.length ?? 0);
        if (++count === N)
          resolve({ atMs: performance.now(), usPerMessage: (decodeMs * 1000) / N, bytes: bytes / N });
        return Promise.resolve(ok);
      },
    });
    await runner.start();
    return { done, stop: () => runner.stop() };
  }

  function report(
    side: Round['side'],
    latencies: number[],
    wallS: number,
    publishedS: number,
    consumed: { atMs: number; usPerMessage: number; bytes: number },
    startedMs: number,
  ): Round {
    const round: Round = {
      side,
      uploadsPerS: N / wallS,
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      publishedS,
      intakePerS: N / ((consumed.atMs - startedMs) / 1000),
      decodeUsPerMessage: consumed.usPerMessage,
      bytesPerMessage: consumed.bytes,
    };
    console.log(
      `${side.padEnd(6)} ${fmt(round.uploadsPerS, 0).padStart(5)} uploads/s answered (p50 ${fmt(round.p50Ms)} ms, p99 ${fmt(round.p99Ms)} ms); all on the broker after ${fmt(publishedS, 2)} s; ${fmt(round.intakePerS, 0)} media/s into the consumer; its decode ${fmt(round.decodeUsPerMessage, 0)} µs/message; ${fmt(round.bytesPerMessage / 1024, 0)} KiB/message`,
    );
    return round;
  }

  const mean = (side: Round['side'], key: keyof Omit<Round, 'side'>) => {
    const xs = rounds.filter((r) => r.side === side).map((r) => r[key]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  console.log('\n## after / before (mean of the rounds)');
  for (const [key, label] of [
    ['uploadsPerS', 'uploads/s answered'],
    ['p50Ms', 'answer p50'],
    ['p99Ms', 'answer p99'],
    ['publishedS', 'time until all on the broker'],
    ['intakePerS', 'media/s into the consumer'],
    ['decodeUsPerMessage', 'consumer decode per message'],
    ['bytesPerMessage', 'bytes per message on the broker'],
  ] as const)
    console.log(`${label.padEnd(32)} ${fmt(mean('after', key) / mean('before', key), 2)}x`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
