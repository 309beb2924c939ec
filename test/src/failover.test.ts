import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { actionerSpec, createActionerService, type ActionerService } from '@mod/actioner';
import { apiSpec, createApiService, type ApiService } from '@mod/api';
import { loadConfig } from '@mod/config';
import { Codecs } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { createScannerService, scannerSpec, type ScannerService } from '@mod/scanner';
import { createRegistry } from '@mod/telemetry';
import { seedTenants, tenantWithKey } from '@mod/testing';
import {
  createWorld,
  logger,
  makePhoto,
  multipart,
  readPartners,
  rowCount,
  serviceEnv,
  waitFor,
  type World,
} from './helpers.js';
import { ownBroker, type OwnBroker } from './own-broker.js';

/**
 * Scale-out and failover on a real three-broker KRaft cluster (`MOD_KAFKA_NODES=3 deploy/local/kafka.sh`:
 * replication 3, min.insync.replicas 2): two scanners and two actioners, each pair in one consumer group; one
 * broker is killed (SIGKILL) while uploads stream in. Nothing may be lost, no order duplicated, and the pipeline
 * must keep up once the cluster has moved its leaders.
 */

const PORT = 29092;
/** Uploads before the kill, then uploads for this long after it (the cluster notices a dead broker in ~9 s). */
const BEFORE_KILL = 20;
const AFTER_KILL_MS = 30_000;
const KNOWN = 6;
const ISPS = ['isp-1', 'isp-2'];

let cluster: OwnBroker | undefined;
let world: World;
let api: ApiService;
let app: FastifyInstance;
const scanners: ScannerService[] = [];
const actioners: ActionerService[] = [];
let platformKey: string;
const known: Buffer[] = [];

beforeAll(async () => {
  cluster = await ownBroker({ nodes: 3, port: PORT, name: 'mod-cluster' });
  cluster.kafkaSh('start');
  world = createWorld(cluster.access());
  await world.ready;
  const db = world.db;
  await seedTenants(
    db,
    ISPS.map((id) => ({ id, kind: 'isp' })),
  );
  platformKey = await tenantWithKey(db, { id: 'platform-1', kind: 'platform', role: 'platform' });
  for (let i = 0; i < KNOWN; i++) known.push(await makePhoto(500 + i));
  const changes = world.topics.bankChanges;
  const { bank } = await createBank(
    db,
    { name: 'known', source: 'e2e', signalTypes: ['sha256'], actionPolicy: 'automatic' },
    changes,
  );
  await addEntries(
    db,
    bank.id,
    await Promise.all(
      known.map(async (k) => ({ signal: 'sha256' as const, value: (await hashMedia(k)).sha256 })),
    ),
    changes,
  );
  const overrides = { HASH_THREADS: '1' };
  api = createApiService(
    loadConfig(apiSpec, serviceEnv(world, 'api', overrides)),
    logger,
    createRegistry('api'),
  );
  app = await api.start();
  for (let i = 0; i < 2; i++) {
    scanners.push(
      createScannerService(
        loadConfig(scannerSpec, serviceEnv(world, 'scanner', overrides)),
        logger,
        createRegistry('s'),
      ),
    );
    actioners.push(
      createActionerService(
        loadConfig(actionerSpec, serviceEnv(world, 'actioner', overrides)),
        logger,
        createRegistry('a'),
      ),
    );
  }
  await Promise.all([...scanners, ...actioners].map((s) => s.start()));
  await waitFor('every scanner to hold the bank', async () =>
    scanners.every(
      (s) => Object.values(s.banks.matcher().stats().entries).reduce((a, b) => a + b, 0) === KNOWN,
    ),
  );
}, 300_000);

afterAll(async () => {
  await Promise.all([...scanners, ...actioners].map((s) => s.stop().catch(() => undefined)));
  await api?.stop().catch(() => undefined);
  await world?.drop();
  await cluster?.remove();
}, 120_000);

const count = (sql: string, params: unknown[] = []) => rowCount(world, sql, params);

describe('a replicated cluster loses a broker mid-stream (real 3-broker KRaft cluster)', () => {
  it('two scanners and two actioners per group: no event lost, no duplicate order, throughput recovers', async () => {
    const uploadedAt = new Map<string, number>();
    let killedAt = 0;
    let knownUploads = 0;
    for (let i = 0; killedAt === 0 || Date.now() - killedAt < AFTER_KILL_MS; i++) {
      if (i === BEFORE_KILL) {
        cluster!.kafkaSh('kill-node', '2');
        killedAt = Date.now();
      }
      if (i % 2 === 0) knownUploads++;
      const bytes = i % 2 === 0 ? (known[(i / 2) % KNOWN] as Buffer) : await makePhoto(2000 + i);
      const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/media',
        headers: { ...body.headers, authorization: `Bearer ${platformKey}` },
        payload: body.payload,
      });
      expect(res.statusCode).toBe(202);
      uploadedAt.set(res.json<{ submissionId: string }>().submissionId, Date.now());
      await new Promise((r) => setTimeout(r, 200));
    }
    const UPLOADS = uploadedAt.size;
    // Every upload reaches a verdict, and each verdict is recorded once.
    await waitFor(
      'a verdict for every upload',
      async () => (await count('select count(*)::int as n from verdicts')) === UPLOADS,
      180_000,
    );
    expect(await count(`select count(*)::int as n from submissions where status = 'scanned'`)).toBe(UPLOADS);
    // One blocking order per known picture and ISP, however often it came: nothing duplicated.
    const { rows: orders } = await world.db.query<{
      id: string;
      subject_value: string;
      target_tenant_id: string;
    }>(`select id, subject_value, target_tenant_id from orders`);
    expect(orders).toHaveLength(KNOWN * ISPS.length);
    expect(new Set(orders.map((o) => `${o.subject_value}/${o.target_tenant_id}`)).size).toBe(
      KNOWN * ISPS.length,
    );
    // Every upload of a known picture stands behind its orders.
    expect(
      await count(
        `select count(distinct l.submission_id)::int as n from order_submissions l join orders o on o.id = l.order_id`,
      ),
    ).toBe(knownUploads);
    // Each ISP received each of its requests (at least once: consumers are idempotent by order id).
    const requests = await readPartners(world, 'blockingRequests', ISPS, (r) =>
      orders.every((o) => r.some((m) => Codecs.blockingRequest.decode(m.value).orderId === o.id)),
    );
    expect(new Set(requests.map((m) => Codecs.blockingRequest.decode(m.value).orderId)).size).toBe(
      orders.length,
    );

    // Throughput: how long after its upload each verdict came, before and after the kill.
    const { rows: verdicts } = await world.db.query<{ submission_id: string; recorded_at: Date }>(
      `select submission_id, recorded_at from verdicts`,
    );
    const delays = verdicts.map((v) => ({
      upload: uploadedAt.get(v.submission_id) ?? 0,
      delayMs: v.recorded_at.getTime() - (uploadedAt.get(v.submission_id) ?? 0),
    }));
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const before = median(delays.filter((d) => d.upload < killedAt).map((d) => d.delayMs));
    const after = median(delays.filter((d) => d.upload >= killedAt).map((d) => d.delayMs));
    const last = median(
      delays
        .filter((d) => d.upload >= killedAt)
        .sort((a, b) => a.upload - b.upload)
        .slice(-10)
        .map((d) => d.delayMs),
    );
    const worst = Math.max(...delays.filter((d) => d.upload >= killedAt).map((d) => d.delayMs));
    const doneAt = Math.max(...verdicts.map((v) => v.recorded_at.getTime()));
    console.log(
      `[failover] upload→verdict median: ${before} ms before the kill, ${after} ms after it (worst ${worst} ms), ${last} ms for the last 10; all ${UPLOADS} done ${doneAt - killedAt} ms after the kill`,
    );
    // Recovered: the last uploads went through about as fast as before the kill.
    expect(last).toBeLessThan(Math.max(5_000, before * 5));
  }, 300_000);
});
