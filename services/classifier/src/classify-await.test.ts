import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Classified } from '@mod/contracts';
import {
  createTenantDirectory,
  insertSubmission,
  recordScannedVerdict,
  submissionScanState,
} from '@mod/db/submissions';
import {
  createConsumerRunner,
  createKafka,
  createProducer,
  deleteTopics,
  ensureTopics,
  type ConsumedMessage,
  type Producer,
  type StepOutcome,
} from '@mod/kafka';
import { Counter, createLogger, createRegistry, createStepMetrics } from '@mod/telemetry';
import {
  createTestSchema,
  credentialsFromEnvironment,
  seedTenants,
  testBrokers,
  uploadedMediaMessage,
  type TestDatabase,
} from '@mod/testing';
import { classificationOf, noMatchVerdict } from './classification.test-helper.js';
import { createClassifyStep } from './classify-step.js';

// Media the classifier reads before the scanner's verdict (a scanner behind) waits for it without its bytes: the
// runner lets them go while the step awaits and reads them again from the topic once the verdict is there. On the
// real broker and PostgreSQL, as the service runs it: 3 partitions, 8 messages of each at once (24 slots, as
// CLASSIFIER_MAX_IN_FLIGHT and PARTITIONS_AT_ONCE give), the held bytes bounded by the read-ahead's 1 MiB.

const kafka = createKafka({
  brokers: testBrokers(),
  clientId: 'classify-await-test',
  logger: createLogger('test', 'silent'),
  credentials: credentialsFromEnvironment(),
});
const prefix = `t-${randomUUID().slice(0, 8)}.`;
const topic = `${prefix}mod.media-submitted.v2`;
const dlq = `${prefix}mod.dlq.v1`;
const BOUND = 1024 * 1024;
/** 16 media of 256 KiB: 4 MiB, four times the bound. */
const COUNT = 16;
const SIZE = 256 * 1024;

let db: TestDatabase;
let producer: Producer;
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
  const spec = { partitions: 3, retentionMs: 3_600_000, cleanupPolicy: 'delete' as const };
  await ensureTopics(kafka, [
    { name: topic, ...spec },
    { name: dlq, ...spec, partitions: 1 },
  ]);
  producer = await createProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
  await deleteTopics(kafka, [topic, dlq]).catch(() => undefined);
  await db?.drop();
});

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 1200) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('classifier: media awaiting its verdict holds no bytes (real Kafka, real PostgreSQL)', () => {
  it('keeps the bytes held within the bound while verdicts are late, and classifies every media once they come', async () => {
    const media = new Map<string, Buffer>();
    for (let i = 0; i < COUNT; i++) {
      const id = randomUUID();
      const bytes = randomBytes(SIZE);
      media.set(id, bytes);
      await insertSubmission(db.pool, {
        id,
        tenantId: 'platform-1',
        source: 'api',
        url: null,
        sha256: digest(bytes),
        bytes: SIZE,
      });
      const m = uploadedMediaMessage({ topic, submissionId: id, value: bytes });
      await producer.send({ topic, messages: [{ key: id, value: bytes, headers: m.headers }] });
    }

    const registry = createRegistry('classify-await');
    const classified: string[] = [];
    const published: Classified[] = [];
    const step = createClassifyStep({
      mediaTopic: topic,
      topicPrefix: prefix,
      scanState: (id) => submissionScanState(db.pool, id),
      tenants: createTenantDirectory(db.pool),
      classify: async (sha256) => {
        classified.push(sha256);
        return { ok: true, classification: classificationOf(false) };
      },
      publish: async (c) => void published.push(c),
      verdictWaitMs: 10 * 60_000,
      pollBudgetMs: 50,
      pollIntervalMs: 10,
      maxMediaBytes: 1024 * 1024,
      skipped: new Counter({ name: 'skipped', help: 's', labelNames: ['reason'], registers: [registry] }),
    });

    // What the runner holds of each message for its step, seen from the step: a value it is given is held until
    // the step is done with it, or let go when the step awaits (the next attempt must then come without it).
    const held = new Map<string, number>();
    const awaited = new Set<string>();
    const awaitedWithout = new Set<string>();
    let mostHeld = 0;
    let mostCounted = 0;
    let givenAfterAwait = 0;
    const lastAwaited = new Set<string>();
    const observed = async (m: ConsumedMessage): Promise<StepOutcome> => {
      const at = `${m.partition}@${m.offset}`;
      if (m.value !== null && lastAwaited.has(at)) givenAfterAwait++;
      held.set(at, m.value === null ? 0 : m.value.length + (m.key?.length ?? 0) + 64);
      const sum = () => [...held.values()].reduce((a, b) => a + b, 0);
      mostHeld = Math.max(mostHeld, sum());
      mostCounted = Math.max(mostCounted, runner.inFlightBytes());
      const outcome = await step(m);
      if (outcome.kind === 'await') {
        awaited.add(at);
        if (m.value === null) awaitedWithout.add(at);
        lastAwaited.add(at);
      } else lastAwaited.delete(at);
      if (outcome.kind !== 'reread') held.set(at, 0);
      return outcome;
    };
    const runner = createConsumerRunner({
      kafka,
      groupId: `${prefix}classifier`,
      topics: [topic],
      stepName: 'classify',
      step: observed,
      producer,
      deadLetterTopic: dlq,
      logger: createLogger('test', 'silent'),
      metrics: createStepMetrics(registry),
      maxInFlight: 8,
      partitionsConsumedConcurrently: 3,
      readAheadBytes: BOUND,
      maxInFlightBytes: BOUND,
      retryDelayMs: 50,
      maxRetryDelayMs: 200,
    });
    await runner.start();
    try {
      // The scanner is behind: every media is read and awaits its verdict, within the bound (before: every message
      // read held its bytes until its verdict came, 4 MiB here, up to 24 media for an hour in service), and then
      // without its bytes.
      await until(() => awaited.size === COUNT, 'every media awaiting its verdict');
      expect(mostHeld).toBeLessThanOrEqual(BOUND);
      await until(() => awaitedWithout.size === COUNT, 'every media awaiting without its bytes');
      expect(classified).toEqual([]);
      // Its verdicts come.
      for (const [id, bytes] of media) await recordScannedVerdict(db.pool, noMatchVerdict(id, digest(bytes)));
      await until(() => published.length === COUNT, 'every media classified');
    } finally {
      await runner.stop();
    }
    // Every media classified once, on its own bytes (read again from the topic), none lost or dead-lettered.
    expect(new Set(published.map((c) => c.submissionId))).toEqual(new Set(media.keys()));
    expect(classified.sort()).toEqual([...media.values()].map(digest).sort());
    // The runner never handed a step a value while the message awaited, and held at most the bound throughout.
    expect(givenAfterAwait).toBe(0);
    expect(mostHeld).toBeLessThanOrEqual(BOUND);
    expect(mostCounted).toBeLessThanOrEqual(BOUND);
    expect(mostHeld).toBeGreaterThan(SIZE);
  });
});
