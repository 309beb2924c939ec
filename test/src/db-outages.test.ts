import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '@mod/db';
import { topicEndOffsets } from '@mod/kafka';
import {
  createWorld,
  DATABASE_URL,
  databaseUrlFor,
  localCluster,
  makePhoto,
  multipart,
  seedKnownImage,
  startPipeline,
  stopInOrder,
  waitFor,
  waitScanned,
  type Pipeline,
  type World,
} from './helpers.js';

// The database blinks under load, the way operators see it: every backend of the pipeline terminated three
// times (`pg_terminate_backend`, as a failover or an operator does), then 15 s in which the database refuses
// every connection. The pipeline runs on a database of its own, so the faults touch nothing else. Nothing may
// be lost, dead-lettered or duplicated, and no service may crash (an unhandled 'error' fails this run).

const database = `e2e_outage_${randomUUID().slice(0, 8)}`;
const control = createPool({ connectionString: DATABASE_URL, max: 2, applicationName: 'e2e-control' });
let world: World;
let pipeline: Pipeline;
let platformKey: string;
let known: Buffer;
const ISPS = ['isp-1', 'isp-2'];

beforeAll(async () => {
  await control.query(`create database ${database}`);
  world = createWorld(localCluster(), { databaseUrl: databaseUrlFor(database) });
  pipeline = await startPipeline(world);
  ({ known, platformKey } = await seedKnownImage(world, pipeline, { seed: 71, isps: ISPS }));
});

afterAll(() =>
  stopInOrder([
    ['pipeline', () => pipeline?.stop()],
    ['world', () => world?.drop()],
    ['database', () => control.query(`drop database if exists ${database} with (force)`)],
    ['control', () => control.end()],
  ]),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Terminates every backend of the pipeline's database; returns how many there were. */
async function terminateAll(): Promise<number> {
  const { rows } = await control.query<{ n: number }>(
    `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
     where datname = $1 and pid <> pg_backend_pid()`,
    [database],
  );
  return rows[0]?.n ?? 0;
}

/** Uploads as a client does: an Idempotency-Key, retried on 429 and 5xx until accepted. */
async function uploadUntilAccepted(bytes: Buffer, statuses: number[]): Promise<string> {
  const key = randomUUID();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
    const res = await pipeline.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...body.headers, authorization: `Bearer ${platformKey}`, 'idempotency-key': key },
      payload: body.payload,
    });
    statuses.push(res.statusCode);
    if (res.statusCode === 202) return res.json<{ submissionId: string }>().submissionId;
    if (res.statusCode < 500 && res.statusCode !== 429)
      throw new Error(`upload refused: ${res.statusCode} ${res.body}`);
    if (Date.now() > deadline) throw new Error(`upload not accepted: last ${res.statusCode} ${res.body}`);
    await sleep(250);
  }
}

describe('database outages under load (real Kafka and Postgres)', () => {
  it('rides out terminated backends and 15 s of refused connections: nothing lost, dead-lettered or duplicated', async () => {
    const sharp = (await import('sharp')).default;
    // 120 uploads: every third a re-encoded copy of the known image (a block order per ISP each), the rest new.
    const media = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 3 === 0
          ? sharp(known)
              .modulate({ brightness: 1 + i / 4000 })
              .jpeg({ quality: 60 + (i % 30) })
              .toBuffer()
          : makePhoto(1000 + i),
      ),
    );
    const copies = media.filter((_, i) => i % 3 === 0).length;
    const statuses: number[] = [];
    // Paced over the faults: one upload every 150 ms.
    const uploads = Promise.all(
      media.map(async (bytes, i) => {
        await sleep(i * 150);
        return uploadUntilAccepted(bytes, statuses);
      }),
    );
    const terminated: number[] = [];
    await sleep(1_500);
    for (let round = 0; round < 3; round++) {
      terminated.push(await terminateAll());
      await sleep(1_500);
    }
    // The database refuses every connection for 15 s (and drops those it had).
    await control.query(`alter database ${database} with allow_connections false`);
    terminated.push(await terminateAll());
    await sleep(15_000);
    await control.query(`alter database ${database} with allow_connections true`);

    const ids = await uploads;
    expect(new Set(ids).size).toBe(media.length);
    // The faults were felt: backends were there to terminate, and clients were told to come back.
    expect(terminated.every((n) => n > 0)).toBe(true);
    expect(statuses.filter((s) => s >= 500).length).toBeGreaterThan(0);

    // Every submission scanned, once.
    await waitScanned(world, 'every submission scanned', ids, 120_000);
    const { rows: statusRows } = await world.db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from submissions group by status`,
    );
    expect(statusRows).toEqual([{ status: 'scanned', n: media.length }]);
    // One blocking order per ISP for each copy: none missing, none twice.
    await waitFor('every order', async () => {
      const { rows } = await world.db.query<{ n: number }>(`select count(*)::int as n from orders`);
      return rows[0]?.n === copies * ISPS.length;
    });
    const { rows: twice } = await world.db.query(
      `select subject_value, target_tenant_id from orders group by 1, 2 having count(*) > 1`,
    );
    expect(twice).toEqual([]);
    // Nothing dead-lettered.
    const dlq = await topicEndOffsets(world.kafka, world.topics.deadLetters);
    expect([...dlq.values()].every((offset) => offset === '0')).toBe(true);
  });
});
