import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs, type MediaSubmitted } from '@mod/contracts';
import { upsertTenant } from '@mod/db';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing';
import { createProducer, type Producer } from '@mod/kafka';
import { createWorld, indexedEntries, makePhoto, startPipeline, waitFor, type World } from './helpers.js';

let world: World;
let producer: Producer;

beforeAll(async () => {
  world = createWorld();
  producer = await createProducer(world.kafka);
});
afterAll(async () => {
  await producer?.disconnect();
  await world?.drop();
});

describe('graceful stop and restart', () => {
  it('stops mid-stream and resumes on restart: every event gets one verdict and no order is duplicated', async () => {
    const first = await startPipeline(world);
    await upsertTenant(world.db, { id: 'isp-1', kind: 'isp', name: 'ISP', subscribedToBlocking: true });
    const known = await Promise.all([1, 2, 3].map((s) => makePhoto(s)));
    const changes = world.topics.bankChanges;
    const { bank } = await createBank(
      world.db,
      { name: 'k', source: 'test', signalTypes: ['sha256'], actionPolicy: 'automatic' },
      changes,
    );
    const entries = await Promise.all(
      known.map(async (k) => ({ signal: 'sha256' as const, value: (await hashMedia(k)).sha256 })),
    );
    await addEntries(world.db, bank.id, entries, changes);
    await waitFor('bank applied', async () => indexedEntries(first) === 3);

    // 30 events: each known picture 5 times (as separate submissions), plus 15 unknown pictures.
    const events: MediaSubmitted[] = [];
    for (let i = 0; i < 30; i++) {
      const bytes = i % 2 === 0 ? (known[i % 3] as Buffer) : await makePhoto(1000 + i);
      events.push({
        eventId: randomUUID(),
        submissionId: randomUUID(),
        tenantId: 'platform-1',
        source: 'kafka',
        mediaBase64: bytes.toString('base64'),
        submittedAt: new Date().toISOString(),
      });
    }
    await producer.send({
      topic: world.topics.mediaSubmitted,
      messages: events.map((e) => ({ key: e.submissionId, value: Codecs.mediaSubmitted.encode(e) })),
    });
    const verdictCount = async () =>
      (await world.db.query<{ n: number }>('select count(*)::int as n from verdicts')).rows[0]?.n ?? 0;
    await waitFor('some verdicts', async () => (await verdictCount()) >= 3);
    await first.stop();

    const second = await startPipeline(world);
    try {
      await waitFor('every verdict', async () => (await verdictCount()) === 30, 90_000);
      const orders = await world.db.query<{ subject_value: string; n: number }>(
        `select subject_value, count(*)::int as n from orders group by subject_value`,
      );
      expect(orders.rows).toHaveLength(3);
      expect(orders.rows.every((r) => r.n === 1)).toBe(true);
      await waitFor('outbox drained', async () => {
        const r = await world.db.query<{ n: number }>(
          `select count(*)::int as n from outbox where published_at is null`,
        );
        return r.rows[0]?.n === 0;
      });
      const outbox = await world.db.query<{ n: number }>(
        `select count(*)::int as n from outbox where topic = $1`,
        [world.topics.blockingRequests],
      );
      expect(outbox.rows[0]?.n).toBe(3);
    } finally {
      await second.stop();
    }
  });
});
