import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bankChangeCodec,
  bankChangeKey,
  topicSpecs,
  urlListChangeCodec,
  type BankChangeMessage,
} from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { createPool, type Pool } from '@mod/db';
import { createUrlListSync } from '@mod/fetcher';
import { createProducer, deleteTopics, ensureTopics, type Producer } from '@mod/kafka';
import { createBankSync } from '@mod/scanner';
import { Counter, Gauge, Histogram } from '@mod/telemetry';
import { createWorld, DATABASE_URL, logger, stopInOrder, waitFor, type World } from './helpers.js';
import { createUrlList } from './isp-helpers.js';

// The scanner's bank index and the fetcher's URL-list index follow their change topics; a bulk import is one
// resync message, on which each reloads from PostgreSQL. Here the reload waits on a lock: the database drops the
// index's connection meanwhile (`pg_terminate_backend`, as a failover or an operator does), and the change must be
// applied once the database answers again, not skipped, which would leave the index without the import until a
// restart; or scans go on meanwhile, and must still match the bank being reloaded.

let world: World;
let producer: Producer;
const control = createPool({ connectionString: DATABASE_URL, max: 2, applicationName: 'e2e-control' });
const pools: Pool[] = [];

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  producer = await createProducer(world.kafka);
});

afterAll(() =>
  stopInOrder([
    ['producer', () => producer?.disconnect()],
    ['pools', () => Promise.all(pools.map((p) => p.end())).then(() => undefined)],
    ['world', () => world?.drop()],
    ['control', () => control.end()],
  ]),
);

/** A pool of the world's schema whose backends are known by `name` (the one the fault terminates). */
function namedPool(name: string): Pool {
  const pool = createPool({
    connectionString: DATABASE_URL,
    schema: world.schema,
    max: 2,
    applicationName: name,
  });
  pools.push(pool);
  return pool;
}

/**
 * Holds `table` locked while `publish` sends a resync, terminates the backend of `applicationName` once it waits on
 * the lock (the reload), then lets the table go.
 */
async function terminateReload(table: string, applicationName: string, publish: () => Promise<void>) {
  const locker = await control.connect();
  try {
    await locker.query('begin');
    await locker.query(`lock table ${world.schema}.${table} in access exclusive mode`);
    await publish();
    const pid = await waitFor(
      `the ${applicationName} reload to wait on ${table}`,
      async () => {
        const { rows } = await control.query<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
          [applicationName],
        );
        return rows[0]?.pid;
      },
      30_000,
    );
    await control.query('select pg_terminate_backend($1)', [pid]);
    await locker.query('rollback');
  } finally {
    locker.release();
  }
}

const counter = (name: string) =>
  new Counter({ name, help: name, labelNames: ['type'] as const, registers: [] });
const gauge = (name: string) => new Gauge({ name, help: name, registers: [] });

/** An automatic md5 bank named `name` holding `values`, its entries' ids in order. */
async function md5Bank(name: string, values: readonly string[]) {
  const { bank } = await createBank(
    world.db,
    { name, source: 'e2e', signalTypes: ['md5'], actionPolicy: 'automatic' },
    world.topics.bankChanges,
  );
  const ids = await addEntries(
    world.db,
    bank.id,
    values.map((value) => ({ signal: 'md5' as const, value })),
    world.topics.bankChanges,
  );
  return { bank, ids };
}

/** Publishes a bulk import's resync of `bankId` (the scanner reloads the bank from PostgreSQL). */
async function sendResync(bankId: string): Promise<void> {
  const resync: BankChangeMessage = { type: 'bank-resync', bankId };
  await producer.send({
    topic: world.topics.bankChanges,
    messages: [{ key: bankChangeKey(resync), value: bankChangeCodec.encode(resync) }],
  });
}

/** A scanner's bank follower on its own pool (`name`, for terminating its reload) and metrics. */
const bankSync = (name: string) =>
  createBankSync({
    db: namedPool(`e2e-${name}`),
    kafka: world.kafka,
    topic: world.topics.bankChanges,
    logger,
    metrics: {
      entries: gauge(`e2e_${name}_entries`),
      applied: counter(`e2e_${name}_applied_total`),
      lag: new Histogram({ name: `e2e_${name}_lag`, help: 'lag', registers: [] }),
    },
    groupPrefix: `${world.prefix}scanner`,
  });

describe('index followers reloading from PostgreSQL (real Kafka and Postgres)', () => {
  it('the scanner reloads a resynced bank once the database answers again, instead of keeping it empty', async () => {
    const { bank } = await md5Bank('resync-bank', ['a'.repeat(32), 'b'.repeat(32)]);
    const sync = bankSync('bank_sync');
    await sync.start();
    const entries = () => sync.matcher().stats().entries.md5 ?? 0;
    try {
      expect(entries()).toBe(2);
      await terminateReload('bank_entries', 'e2e-bank_sync', () => sendResync(bank.id));
      await waitFor('the bank reloaded', async () => entries() === 2, 20_000);
    } finally {
      await sync.stop();
    }
  });

  it('a bank being reloaded is matched whole until the reload ends, which leaves exactly its listed entries', async () => {
    const {
      bank,
      ids: [kept, dropped],
    } = await md5Bank('reload-bank', ['c'.repeat(32), 'd'.repeat(32)]);
    const sync = bankSync('bank_reload');
    await sync.start();
    const listed = () =>
      [kept, dropped, added].filter(
        (id) => id !== undefined && sync.matcher().entry(bank.id, id) !== undefined,
      );
    let added: string | undefined;
    try {
      // A bulk replace, as PostgreSQL has it (nothing relays its outbox here): one entry removed, one added.
      await world.db.query(`update bank_entries set removed_at = now() where id = $1`, [dropped]);
      [added] = await addEntries(
        world.db,
        bank.id,
        [{ signal: 'md5', value: 'e'.repeat(32) }],
        world.topics.bankChanges,
      );
      const locker = await control.connect();
      try {
        await locker.query('begin');
        await locker.query(`lock table ${world.schema}.bank_entries in access exclusive mode`);
        await sendResync(bank.id);
        await waitFor(
          'the reload to wait on bank_entries',
          async () =>
            (
              await control.query(
                `select 1 from pg_stat_activity where application_name = 'e2e-bank_reload' and wait_event_type = 'Lock'`,
              )
            ).rowCount === 1,
          30_000,
        );
        // Scans meanwhile match the bank as it was: none of its known material slips through as no match.
        expect(listed()).toEqual([kept, dropped]);
      } finally {
        await locker.query('rollback').catch(() => undefined);
        locker.release();
      }
      await waitFor('the reload done', async () => listed().join() === [kept, added].join(), 20_000);
    } finally {
      await sync.stop();
    }
  });

  it('the fetcher reloads the URL lists after a bulk change once the database answers again', async () => {
    const sync = createUrlListSync({
      db: namedPool('e2e-url-list-sync'),
      kafka: world.kafka,
      topic: world.topics.urlListChanges,
      logger,
      groupPrefix: `${world.prefix}fetcher`,
      metrics: {
        entries: gauge('e2e_url_entries'),
        applied: counter('e2e_url_applied_total'),
        invalid: new Counter({ name: 'e2e_url_invalid_total', help: 'invalid', registers: [] }),
      },
    });
    await sync.start();
    try {
      // A bulk import: its entries are in PostgreSQL only (nothing relays their outbox here); the resync says so.
      const list = await createUrlList(world, 'bulk-list', [
        { kind: 'url', pattern: 'abuse.example/a.jpg', category: 'A' },
        { kind: 'prefix', pattern: 'abuse.example/dir/', category: 'A' },
      ]);
      expect(sync.index().size).toBe(0);
      await terminateReload('url_list_entries', 'e2e-url-list-sync', () =>
        producer.send({
          topic: world.topics.urlListChanges,
          messages: [
            {
              key: `url-resync:${list.bankId}`,
              value: urlListChangeCodec.encode({ type: 'url-lists-resync', bankId: list.bankId }),
            },
          ],
        }),
      );
      await waitFor('the URL lists reloaded', async () => sync.index().size === 2, 20_000);
    } finally {
      await sync.stop();
    }
  });
});

describe('index followers losing their topic (real Kafka and Postgres)', () => {
  it('the scanner is not ready while it cannot follow the bank changes, and follows them again once it can', async () => {
    const sync = bankSync('bank_lost');
    await sync.start();
    try {
      expect(sync.ready()).toBe(true);
      // The topic deleted (an operator's mistake, a broker's lost disk): the follower's stream fails. Its index
      // would stay as it was for ever, the scanner ready, matching against banks curators have since changed.
      await deleteTopics(world.kafka, [world.topics.bankChanges]);
      await waitFor('the scanner not ready', async () => !sync.ready(), 60_000);
      await ensureTopics(
        world.kafka,
        topicSpecs(world.prefix).filter((t) => t.name === world.topics.bankChanges),
      );
      // A change on the topic created again (its first record): the follower reads it from the topic's start.
      const {
        bank,
        ids: [id],
      } = await md5Bank('after-recreate', ['f'.repeat(32)]);
      await sendResync(bank.id);
      await waitFor(
        'the bank changes followed again',
        async () => sync.ready() && sync.matcher().entry(bank.id, id!) !== undefined,
        60_000,
      );
    } finally {
      await sync.stop();
    }
  });
});
