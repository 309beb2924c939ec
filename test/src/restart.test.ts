import { describe, expect, it } from 'vitest';
import { partnerTopic } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { seedTenants } from '@mod/testing';
import { indexedEntries, makePhoto, partnerMediaMessage, startPipeline, waitFor } from './helpers.js';
import { partner, usePlatformWorld, world } from './file-world.js';

usePlatformWorld();

describe('graceful stop and restart', () => {
  it('stops mid-stream and resumes on restart: every event gets one verdict and no order is duplicated', async () => {
    const first = await startPipeline(world);
    await seedTenants(world.db, [{ id: 'isp-1', kind: 'isp' }]);
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
    const messages = [];
    for (let i = 0; i < 30; i++) {
      const bytes = i % 2 === 0 ? (known[i % 3] as Buffer) : await makePhoto(1000 + i);
      messages.push(partnerMediaMessage(bytes).message);
    }
    // As the platform, on its own topic.
    await partner.producer.send({
      topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-1'),
      messages,
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
        [partnerTopic(world.prefix, 'blockingRequests', 'isp-1')],
      );
      expect(outbox.rows[0]?.n).toBe(3);
    } finally {
      await second.stop();
    }
  });
});
