import { describe, expect, it } from 'vitest';
import { withTransaction } from './pool.js';
import { enqueueOutbox, PUBLISHED_OUTBOX_KEEP_DAYS, relayOutbox } from './domains/outbox.js';
import { db, useTestSchema } from './testing.test-helper.js';

// Published outbox rows were only marked published and never deleted: every reported URL's observed-URL event, every
// order message sent to an ISP or a platform, every bank and URL-list change stayed in PostgreSQL for ever, long after
// their topics dropped them (observed URLs a day, orders 30 days).

useTestSchema();

const rowsOf = async (topic: string) =>
  (
    await db.pool.query<{ key: string; published: boolean }>(
      `select key, published_at is not null as published from outbox where topic = $1 order by id`,
      [topic],
    )
  ).rows;

describe('outbox retention', () => {
  it('deletes messages published more than the kept days ago, whatever relay runs; keeps recent and pending ones', async () => {
    const topic = 'mod.url-observed.v1';
    await withTransaction(db.pool, async (c) => {
      await enqueueOutbox(c, topic, 'old', { url: 'https://reported.example/old' });
      await enqueueOutbox(c, topic, 'recent', { url: 'https://reported.example/recent' });
    });
    expect(await relayOutbox(db.pool, async () => undefined)).toBe(2);
    // One published just past the kept days, one just within them.
    const day = 86_400;
    await db.pool.query(
      `update outbox set published_at = now() - make_interval(secs => $2) where topic = $3 and key = $1`,
      ['old', (PUBLISHED_OUTBOX_KEEP_DAYS + 0.01) * day, topic],
    );
    await db.pool.query(
      `update outbox set published_at = now() - make_interval(secs => $2) where topic = $3 and key = $1`,
      ['recent', (PUBLISHED_OUTBOX_KEEP_DAYS - 0.01) * day, topic],
    );
    // A message waiting for its relay, however old, is never deleted.
    await withTransaction(db.pool, (c) => enqueueOutbox(c, 'mod.bank-changes.v1', 'pending', { n: 1 }));
    await db.pool.query(`update outbox set created_at = now() - interval '90 days' where key = 'pending'`);

    // Another service's relay (it publishes other topics) has nothing to publish: it deletes what is past anyway.
    expect(await relayOutbox(db.pool, async () => undefined, 100, { topics: ['other-topic'] })).toBe(0);
    expect(await rowsOf(topic)).toEqual([{ key: 'recent', published: true }]);
    expect(await rowsOf('mod.bank-changes.v1')).toEqual([{ key: 'pending', published: false }]);
  });
});
