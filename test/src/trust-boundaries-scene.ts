import { afterAll, beforeAll } from 'vitest';
import type { DeadLetter } from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { alterTopicConfig, createKafka, createProducer, type Kafka, type Producer } from '@mod/kafka';
import { credentialsFromEnvironment, seedTenants } from '@mod/testing';
import {
  createWorld,
  grantPartner,
  indexedEntries,
  json,
  KAFKA_BROKERS,
  logger,
  makePhoto,
  multipart,
  read,
  rowCount,
  startPipeline,
  stopInOrder,
  waitFor,
  type Partner,
  type Pipeline,
  type World,
} from './helpers.js';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createIsp, startFetcher, type StartedFetcher } from './isp-helpers.js';

/**
 * The scene of the trust-boundaries tests (the attack test of the trust-boundaries issue, through the real broker
 * and the real API), shared by their files: two ISPs and two platforms with API keys, an authority, an admin,
 * the pipeline, the platforms as Kafka partners on their own topics, an admin producer (what a stolen service
 * credential could do), and a bank holding a known photo. Each file that calls `useTrustScene` gets a world of
 * its own.
 */

/** The media topic carries at most this much per message in this world: the API derives its upload limit from it. */
export const MEDIA_MAX_MESSAGE_BYTES = 256 * 1024;

export const ISPS = ['isp-1', 'isp-2'];

/** What `useTrustScene` sets up, for the file's tests: there once its `beforeAll` has run. */
export class TrustScene {
  declare world: World;
  declare pipeline: Pipeline;
  /** Started by `useTrustScene({ fetcher: true })` only. */
  declare fetcher: StartedFetcher;
  /** The platforms `platform-a` and `platform-b`, as Kafka partners on their own topics. */
  declare platformA: Partner;
  declare platformB: Partner;
  /** A producer with the admin's credentials: what a stolen service credential could do. */
  declare admin: Producer;
  /** A photo the scene's bank holds (sha256, automatic action). */
  declare known: Buffer;
  /** API keys by tenant id (`isp-1`, `isp-2`, `platform-a`, `platform-b`, `authority-1`), and `admin`'s. */
  readonly keys: Record<string, string> = {};

  /** The API's answer to `request`, sent with the API key of `tenant` (one of `keys`). */
  inject(tenant: string, request: InjectOptions): Promise<LightMyRequestResponse> {
    const authorization = `Bearer ${this.keys[tenant] ?? ''}`;
    return this.pipeline.app.inject({ ...request, headers: { authorization, ...request.headers } });
  }

  /** `POST /v1/media` of `bytes` as `tenant`: the API's answer. */
  upload(
    tenant: string,
    bytes: Buffer,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
    return this.inject(tenant, {
      method: 'POST',
      url: '/v1/media',
      headers: { ...body.headers, ...headers },
      payload: body.payload,
    });
  }

  /** The `n` of a `select count(*)::int as n …` query. */
  countRows(sql: string, params: unknown[] = []): Promise<number> {
    return rowCount(this.world, sql, params);
  }

  /** Dead letters whose source key is `key`, once `count` of them have arrived. */
  async deadLettersFor(key: string, count = 1): Promise<DeadLetter[]> {
    const records = await read(
      this.world,
      this.world.topics.deadLetters,
      (r) => r.filter((m) => m.key === key).length >= count,
    );
    return records.filter((m) => m.key === key).map((m) => json<DeadLetter>(m));
  }
}

/**
 * Sets the scene up before the file's tests (`beforeAll`) and takes it down after them (`afterAll`). With
 * `fetcher`, also the URL fetcher (for tests of observed URLs and URL lists).
 */
export function useTrustScene(options: { fetcher?: boolean } = {}): TrustScene {
  const scene = new TrustScene();
  beforeAll(async () => {
    const world = (scene.world = createWorld());
    await world.ready;
    await alterTopicConfig(world.kafka, world.topics.mediaSubmitted, {
      'max.message.bytes': String(MEDIA_MAX_MESSAGE_BYTES),
    });
    const db = world.db;
    const { keys } = scene;
    for (const id of ISPS) keys[id] = (await createIsp(world, id)).key;
    const { ops, ...others } = await seedTenants(db, [
      { id: 'platform-a', kind: 'platform', role: 'platform' },
      { id: 'platform-b', kind: 'platform', role: 'platform' },
      { id: 'authority-1', kind: 'authority', role: 'authority' },
      { id: 'ops', kind: 'admin', role: 'admin' },
    ]);
    Object.assign(keys, others, { admin: ops });
    const pipeline = (scene.pipeline = await startPipeline(world));
    if (options.fetcher === true) scene.fetcher = await startFetcher(world, {});
    scene.platformA = await grantPartner(world, 'e2e-partner-a', 'platform-a', 'platform');
    scene.platformB = await grantPartner(world, 'e2e-partner-b', 'platform-b', 'platform');
    scene.admin = await createProducer(world.kafka);
    const known = (scene.known = await makePhoto(41));
    const changes = world.topics.bankChanges;
    const { bank } = await createBank(
      db,
      { name: 'known', source: 'e2e', signalTypes: ['sha256'], actionPolicy: 'automatic' },
      changes,
    );
    await addEntries(db, bank.id, [{ signal: 'sha256', value: (await hashMedia(known)).sha256 }], changes);
    await waitFor('the scanner to apply the bank', async () => indexedEntries(pipeline) === 1);
  });

  // Whatever the beforeAll got to set, should it have failed half-way.
  const set: Partial<TrustScene> = scene;
  afterAll(() =>
    stopInOrder([
      ['admin producer', () => set.admin?.disconnect()],
      ['partner A', () => set.platformA?.close()],
      ['partner B', () => set.platformB?.close()],
      ['fetcher', () => set.fetcher?.service.stop()],
      ['scanner', () => set.pipeline?.scanner.stop()],
      ['actioner', () => set.pipeline?.actioner.stop()],
      ['api', () => set.pipeline?.api.stop()],
      ['world', () => set.world?.drop()],
    ]),
  );
  return scene;
}

/** A client of `principal` (a SCRAM user of this run), or with `password` instead of its own. */
export function clientOf(principal: string, password?: string): Kafka {
  const own = credentialsFromEnvironment(principal);
  return createKafka({
    brokers: KAFKA_BROKERS.split(','),
    clientId: `attacker-${principal}`,
    logger,
    // A refusal is final: no need to ask again.
    retries: 1,
    credentials: password === undefined ? own : { ...own, password },
  });
}

/** Every message of an error and of the errors it wraps (the client reports a refusal inside an aggregate). */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  const cause = (err as { cause?: unknown }).cause;
  return [
    `${err.name}: ${err.message}`,
    ...nested.map(errorText),
    cause === undefined ? '' : errorText(cause),
  ].join(' | ');
}

/** Sends one message as `kafka`'s principal; resolves to the broker's refusal, or null when it was accepted. */
export async function trySend(kafka: Kafka, topic: string, value: Buffer | string): Promise<string | null> {
  let producer: Producer | undefined;
  try {
    producer = await createProducer(kafka);
    await producer.send({ topic, messages: [{ key: 'x', value }] });
    return null;
  } catch (err) {
    return errorText(err);
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
}
