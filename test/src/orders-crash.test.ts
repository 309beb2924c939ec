import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { countUnpublished } from '@mod/db/outbox';
import { automaticHit, publishVerdict, startOrdersWorld, type OrdersWorld } from './orders-helpers.js';
import { readPartners, waitFor } from './helpers.js';

let ow: OrdersWorld;
/**
 * The first actioner "dies" after the verdict's transaction commits and before anything is published: the
 * step fails after commit (so its offset is not committed) and the relay fails before every publish, also at
 * its shutdown (a killed process publishes nothing more).
 */
const crash = () => {
  throw new Error('simulated crash between commit and publish');
};

beforeAll(async () => {
  ow = await startOrdersWorld({}, { faults: { afterCommit: crash, beforePublish: crash } });
});
afterAll(async () => ow?.close());

describe('crash safety of order delivery (real Kafka and Postgres)', () => {
  it('after a crash between commit and publish, a restart delivers each request exactly once and opens no duplicate', async () => {
    const verdict = await publishVerdict(ow, { hits: [automaticHit()] });
    const ordersOf = async () =>
      (
        await ow.world.db.query<{ id: string; target_tenant_id: string }>(
          'select id, target_tenant_id from orders where subject_value = $1 order by target_tenant_id',
          [verdict.hashes.sha256],
        )
      ).rows;
    // The orders and their messages committed; nothing left the process.
    const committed = await waitFor('the committed orders', async () => {
      const rows = await ordersOf();
      return rows.length === 2 ? rows : undefined;
    });
    expect(await countUnpublished(ow.world.db)).toBeGreaterThanOrEqual(2);

    // "Restart": a new actioner process without the fault, same database, topics and consumer group. The
    // verdict is consumed again (its offset was never committed) and folds into the recorded one.
    await ow.restartActioner({});
    await waitFor('the outbox to drain', async () => (await countUnpublished(ow.world.db)) === 0);
    await ow.actioner.drainOutbox();
    await waitFor('the verdict to be consumed again and dropped', async () => {
      const { rows } = await ow.world.db.query<{ n: number }>('select count(*)::int as n from verdicts');
      return rows[0]?.n === 1;
    });

    // A second copy of the same verdict (a replay) changes nothing either.
    await ow.producer.send({
      topic: ow.world.topics.verdicts,
      messages: [{ key: verdict.submissionId, value: Codecs.verdict.encode(verdict) }],
    });
    const sentinel = await publishVerdict(ow, { hits: [] });
    await waitFor('the sentinel after the replay', async () => {
      const { rows } = await ow.world.db.query('select 1 from verdicts where submission_id = $1', [
        sentinel.submissionId,
      ]);
      return rows.length === 1;
    });
    await ow.actioner.drainOutbox();

    expect(await ordersOf()).toEqual(committed);
    const ids = committed.map((o) => o.id);
    const records = await readPartners(ow.world, 'blockingRequests', ['isp-1', 'isp-2'], (r) =>
      ids.every((id) => r.some((m) => Codecs.blockingRequest.decode(m.value).orderId === id)),
    );
    const mine = records.filter((m) => ids.includes(Codecs.blockingRequest.decode(m.value).orderId));
    expect(mine.map((m) => m.tenantId).sort()).toEqual(['isp-1', 'isp-2']);
    expect(new Set(mine.map((m) => Codecs.blockingRequest.decode(m.value).orderId)).size).toBe(2);
  });
});
