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

export let world: World;
export let pipeline: Pipeline;
export let fetcher: StartedFetcher;
export let platformA: Partner;
export let platformB: Partner;
export let admin: Producer;
export const keys: Record<string, string> = {};
export let known: Buffer;

export const ISPS = ['isp-1', 'isp-2'];

/**
 * Sets the scene up before the file's tests (`beforeAll`) and takes it down after them (`afterAll`). With
 * `fetcher`, also the URL fetcher (for tests of observed URLs and URL lists).
 */
export function useTrustScene(options: { fetcher?: boolean } = {}): void {
  beforeAll(async () => {
    world = createWorld();
    await world.ready;
    await alterTopicConfig(world.kafka, world.topics.mediaSubmitted, {
      'max.message.bytes': String(MEDIA_MAX_MESSAGE_BYTES),
    });
    const db = world.db;
    for (const id of ISPS) keys[id] = (await createIsp(world, id)).key;
    const { ops, ...others } = await seedTenants(db, [
      { id: 'platform-a', kind: 'platform', role: 'platform' },
      { id: 'platform-b', kind: 'platform', role: 'platform' },
      { id: 'authority-1', kind: 'authority', role: 'authority' },
      { id: 'ops', kind: 'admin', role: 'admin' },
    ]);
    Object.assign(keys, others, { admin: ops });
    pipeline = await startPipeline(world);
    if (options.fetcher === true) fetcher = await startFetcher(world, {});
    platformA = await grantPartner(world, 'e2e-partner-a', 'platform-a', 'platform');
    platformB = await grantPartner(world, 'e2e-partner-b', 'platform-b', 'platform');
    admin = await createProducer(world.kafka);
    known = await makePhoto(41);
    const changes = world.topics.bankChanges;
    const { bank } = await createBank(
      db,
      { name: 'known', source: 'e2e', signalTypes: ['sha256'], actionPolicy: 'automatic' },
      changes,
    );
    await addEntries(db, bank.id, [{ signal: 'sha256', value: (await hashMedia(known)).sha256 }], changes);
    await waitFor('the scanner to apply the bank', async () => indexedEntries(pipeline) === 1);
  });

  afterAll(() =>
    stopInOrder([
      ['admin producer', () => admin?.disconnect()],
      ['partner A', () => platformA?.close()],
      ['partner B', () => platformB?.close()],
      ['fetcher', () => fetcher?.service.stop()],
      ['scanner', () => pipeline?.scanner.stop()],
      ['actioner', () => pipeline?.actioner.stop()],
      ['api', () => pipeline?.api.stop()],
      ['world', () => world?.drop()],
    ]),
  );
}

export const auth = (key: string | undefined) => ({ authorization: `Bearer ${key ?? ''}` });

export async function upload(key: string | undefined, bytes: Buffer, headers: Record<string, string> = {}) {
  const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
  return pipeline.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...body.headers, ...auth(key), ...headers },
    payload: body.payload,
  });
}

export const countRows = (sql: string, params: unknown[] = []) => rowCount(world, sql, params);

/** Dead letters whose source key is `key`, once `count` of them have arrived. */
export async function deadLettersFor(key: string, count = 1): Promise<DeadLetter[]> {
  const records = await read(
    world,
    world.topics.deadLetters,
    (r) => r.filter((m) => m.key === key).length >= count,
  );
  return records.filter((m) => m.key === key).map((m) => json<DeadLetter>(m));
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
