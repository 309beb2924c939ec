import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partnerTopic, partnerTopicSpec } from '@mod/contracts';
import { createPool, withTransaction } from '@mod/db';
import { countUnpublished, enqueueOutbox, relayOutbox } from '@mod/db/outbox';
import { createProducer, ensureTopics, publishOutboxRows, type Producer } from '@mod/kafka';
import { createWorld, DATABASE_URL, read, stopInOrder, waitFor, type World } from './helpers.js';

// Two relays of one outbox (two actioners: failover, replicas) while one of them stalls in its publish (the broker
// retrying it, a pause): the outbox is to be published in id order, so one order's messages reach its partner in
// the order they were committed. The other relay skipped the stalled one's locked rows and published the later
// ones first: an ISP read `withdrawn` and then the `issued` it replaced, and blocked what was withdrawn.

let world: World;
let producer: Producer;
const topic = () => partnerTopic(world.prefix, 'blockingRequests', 'isp-1');
const watch = createPool({ connectionString: DATABASE_URL, max: 1, applicationName: 'relay-order-watch' });

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  await ensureTopics(world.kafka, [partnerTopicSpec(world.prefix, 'blockingRequests', 'isp-1')]);
  producer = await createProducer(world.kafka);
});

afterAll(() =>
  stopInOrder([
    ['producer', () => producer?.disconnect()],
    ['watch', () => watch.end()],
    ['world', () => world?.drop()],
  ]),
);

const enqueue = (event: string) =>
  withTransaction(world.db, (c) => enqueueOutbox(c, topic(), 'order-1', { orderId: 'order-1', event }));
const publish = (rows: Parameters<typeof publishOutboxRows>[1]) => publishOutboxRows(producer, rows);

describe('two relays, one stalled in its publish', () => {
  it("publish one order's messages in the order they were committed", async () => {
    await enqueue('order.issued');
    let release = () => undefined as void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let claimed = 0;
    // The first relay claims the issue and stalls before its broker answers.
    const first = relayOutbox(world.db, async (rows) => {
      claimed += rows.length;
      await stalled;
      await publish(rows);
    });
    await waitFor('the first relay to claim', () => Promise.resolve(claimed > 0));
    await enqueue('order.withdrawn');
    // The second relay, in another process (its own connections).
    const secondPool = createPool({
      connectionString: DATABASE_URL,
      schema: world.schema,
      max: 1,
      applicationName: 'relay-order-b',
    });
    let secondDone = false;
    const second = relayOutbox(secondPool, publish).finally(() => (secondDone = true));
    // The stall ends once the second relay has published, or is waiting for the first.
    await waitFor('the second relay to publish or wait', async () => {
      if (secondDone) return true;
      const { rows } = await watch.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where application_name = 'relay-order-b'
           and wait_event_type = 'Lock'`,
      );
      return (rows[0]?.n ?? 0) > 0;
    });
    release();
    await Promise.all([first, second]);
    while ((await relayOutbox(world.db, publish)) > 0);
    await secondPool.end();
    expect(await countUnpublished(world.db)).toBe(0);

    const records = await read(
      world,
      topic(),
      (r) => new Set(r.map((x) => x.headers['outbox-id']?.toString())).size >= 2,
    );
    const events = records.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { event: string }).event);
    // At least once (a record may come twice), never the withdrawal before the issue.
    const firstSeen = events.filter((e, i) => events.indexOf(e) === i);
    expect(firstSeen).toEqual(['order.issued', 'order.withdrawn']);
  });
});
