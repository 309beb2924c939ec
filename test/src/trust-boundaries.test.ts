import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MEDIA_META_MAX_BYTES } from '@mod/api';
import {
  Codecs,
  DefaultServicePrincipals,
  MEDIA_META_HEADER,
  partnerGroupPrefix,
  partnerTopic,
  type DeadLetter,
  type PartnerMediaMeta,
  type Verdict,
} from '@mod/contracts';
import { addEntries, createBank } from '@mod/curation';
import { createApiKey, updateTenant, upsertTenant } from '@mod/db';
import { hashMedia } from '@mod/hashing/decode';
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import {
  alterTopicConfig,
  applyAcls,
  createKafka,
  createProducer,
  credentialsFromEnvironment,
  largestMediaBytes,
  readTopic,
  removeAcls,
  topicMaxMessageBytes,
  type Kafka,
  type Producer,
} from '@mod/kafka';
import {
  KAFKA_BROKERS,
  createWorld,
  grantPartner,
  indexedEntries,
  json,
  logger,
  makePhoto,
  multipart,
  read,
  readPartners,
  startPipeline,
  stopInOrder,
  waitFor,
  type Partner,
  type Pipeline,
  type World,
} from './helpers.js';
import { normalizeUrlOrThrow } from '@mod/urls';
import { createIsp, createUrlList, startFetcher, type StartedFetcher } from './isp-helpers.js';

/**
 * The attack test of the trust-boundaries issue, through the real broker (SASL/SCRAM over TLS, ACLs) and the
 * real API: every finding, as an outsider and as a partner with credentials would try it.
 */

/** The media topic carries at most this much per message in this world: the API derives its upload limit from it. */
const MEDIA_MAX_MESSAGE_BYTES = 256 * 1024;

let world: World;
let pipeline: Pipeline;
let fetcher: StartedFetcher;
let platformA: Partner;
let platformB: Partner;
let admin: Producer;
const keys: Record<string, string> = {};
let known: Buffer;

const ISPS = ['isp-1', 'isp-2'];

beforeAll(async () => {
  world = createWorld();
  await world.ready;
  await alterTopicConfig(world.kafka, world.topics.mediaSubmitted, {
    'max.message.bytes': String(MEDIA_MAX_MESSAGE_BYTES),
  });
  const db = world.db;
  for (const id of ISPS) keys[id] = (await createIsp(world, id)).key;
  for (const id of ['platform-a', 'platform-b'])
    await upsertTenant(db, { id, kind: 'platform', name: id, subscribedToBlocking: false });
  await upsertTenant(db, { id: 'authority-1', kind: 'authority', name: 'A', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'ops', kind: 'admin', name: 'Ops', subscribedToBlocking: false });
  keys['platform-a'] = (await createApiKey(db, { tenantId: 'platform-a', role: 'platform' })).key;
  keys['platform-b'] = (await createApiKey(db, { tenantId: 'platform-b', role: 'platform' })).key;
  keys['authority-1'] = (await createApiKey(db, { tenantId: 'authority-1', role: 'authority' })).key;
  keys['admin'] = (await createApiKey(db, { tenantId: 'ops', role: 'admin' })).key;
  pipeline = await startPipeline(world);
  fetcher = await startFetcher(world, {});
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

const auth = (key: string | undefined) => ({ authorization: `Bearer ${key ?? ''}` });

async function upload(key: string | undefined, bytes: Buffer, headers: Record<string, string> = {}) {
  const body = multipart({}, { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes });
  return pipeline.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...body.headers, ...auth(key), ...headers },
    payload: body.payload,
  });
}

const countRows = async (sql: string, params: unknown[] = []) =>
  (await world.db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;

/** Dead letters whose source key is `key`, once `count` of them have arrived. */
async function deadLettersFor(key: string, count = 1): Promise<DeadLetter[]> {
  const records = await read(
    world,
    world.topics.deadLetters,
    (r) => r.filter((m) => m.key === key).length >= count,
  );
  return records.filter((m) => m.key === key).map((m) => json<DeadLetter>(m));
}

/** A client of `principal` (a SCRAM user of this run), or with `password` instead of its own. */
function clientOf(principal: string, password?: string): Kafka {
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
function errorText(err: unknown): string {
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
async function trySend(kafka: Kafka, topic: string, value: Buffer | string): Promise<string | null> {
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

describe('Kafka is a trust boundary (real broker: SASL/SCRAM over TLS, ACLs)', () => {
  it('refuses a client without credentials, with a wrong password, and without TLS', async () => {
    // The client library itself, without any SASL mechanism: TLS only.
    const anonymous = new PlatformaticProducer({
      clientId: 'anonymous',
      bootstrapBrokers: KAFKA_BROKERS.split(','),
      tls: { ca: [credentialsFromEnvironment().caPem ?? ''] },
      retries: 0,
    });
    try {
      await anonymous.send({ messages: [{ topic: world.topics.verdicts, value: Buffer.from('x') }] });
      expect.unreachable('an unauthenticated client published');
    } catch (err) {
      expect(errorText(err)).toMatch(/closed|network|connection|authenticat|SASL|timed out/i);
    } finally {
      await anonymous.close().catch(() => undefined);
    }
    expect(
      await trySend(clientOf(DefaultServicePrincipals.scanner, 'guess'), world.topics.verdicts, 'x'),
    ).toMatch(/authenticat/i);
    const plaintext = createKafka({
      brokers: KAFKA_BROKERS.split(','),
      clientId: 'plaintext',
      logger,
      retries: 1,
      credentials: { ...credentialsFromEnvironment(DefaultServicePrincipals.scanner), tls: false },
    });
    expect(await trySend(plaintext, world.topics.verdicts, 'x')).not.toBeNull();
  });

  it('gives each principal only its own topics: the wrong principal is refused by the broker', async () => {
    const denied = /not authorized|authorization failed/i;
    // A platform cannot write verdicts, the internal media topic, another platform's topic, or bank changes.
    for (const topic of [
      world.topics.verdicts,
      world.topics.mediaSubmitted,
      partnerTopic(world.prefix, 'mediaSubmitted', 'platform-b'),
      world.topics.bankChanges,
    ])
      expect(await trySend(platformA.kafka, topic, 'x'), topic).toMatch(denied);
    // Nor read another's outbound topics, nor the verdicts.
    for (const topic of [
      partnerTopic(world.prefix, 'takedownRequests', 'platform-b'),
      world.topics.verdicts,
    ]) {
      const spying = readTopic(
        platformA.kafka,
        topic,
        (r) => r.length > 0,
        10_000,
        partnerGroupPrefix(world.prefix, 'platform-a'),
      );
      await expect(spying.catch((err: unknown) => Promise.reject(new Error(errorText(err))))).rejects.toThrow(
        /not authorized|authorization/i,
      );
    }
    // Only the scanner and the fetcher write verdicts; only the actioner writes requests; only curation (the
    // API) writes bank changes.
    const scanner = clientOf(DefaultServicePrincipals.scanner);
    expect(await trySend(scanner, partnerTopic(world.prefix, 'blockingRequests', 'isp-1'), 'x')).toMatch(
      denied,
    );
    expect(await trySend(scanner, world.topics.bankChanges, 'x')).toMatch(denied);
    expect(await trySend(clientOf(DefaultServicePrincipals.api), world.topics.verdicts, 'x')).toMatch(denied);
    expect(await trySend(clientOf(DefaultServicePrincipals.actioner), world.topics.verdicts, 'x')).toMatch(
      denied,
    );
  });

  it('dead-letters a forged verdict naming a host and a bank that do not exist: no order, nothing in the feeds', async () => {
    // Written with the admin principal: what a stolen scanner credential could do.
    const host = `evil-${randomUUID().slice(0, 8)}.example`;
    const url = `http://${host}/`;
    const digest = createHash('sha256').update(url).digest('hex');
    const forged: Verdict = {
      eventId: randomUUID(),
      submissionId: randomUUID(),
      tenantId: 'isp-1',
      sourceEventId: randomUUID(),
      decision: 'match',
      hashes: { sha256: digest, sha1: 'a'.repeat(40), md5: 'b'.repeat(32) },
      width: 0,
      height: 0,
      hits: [
        {
          bankId: randomUUID(),
          bankName: 'iwf',
          entryId: 'url:1',
          signal: 'sha256',
          distance: 0,
          category: 'A',
          actionPolicy: 'automatic',
          negative: false,
        },
      ],
      url,
      subject: { type: 'host', value: host },
      scannedAt: new Date().toISOString(),
      scannerVersion: 'forged',
    };
    await admin.send({
      topic: world.topics.verdicts,
      messages: [{ key: forged.submissionId, value: Codecs.verdict.encode(forged) }],
    });
    // The same forged verdict for a submission the fetcher did record: the bank still does not exist.
    const recorded = { ...forged, eventId: randomUUID(), submissionId: randomUUID() };
    await world.db.query(
      `insert into submissions (id, tenant_id, source, url, sha256, status) values ($1, 'isp-1', 'fetcher', $2, $3, 'received')`,
      [recorded.submissionId, url, digest],
    );
    await admin.send({
      topic: world.topics.verdicts,
      messages: [{ key: recorded.submissionId, value: Codecs.verdict.encode(recorded) }],
    });
    // And naming a real URL-list entry that lists another URL: the pattern does not match.
    const list = await createUrlList(world, `list-${randomUUID().slice(0, 6)}`, [
      { kind: 'url', pattern: 'http://listed.example/only.html', dedicatedToAbuse: false, block: true },
    ]);
    const realEntry = {
      ...recorded,
      eventId: randomUUID(),
      hits: [{ ...forged.hits[0]!, bankId: list.bankId, entryId: `url:${list.entryIds[0]}` }],
    };
    await admin.send({
      topic: world.topics.verdicts,
      messages: [{ key: realEntry.submissionId, value: Codecs.verdict.encode(realEntry) }],
    });

    expect((await deadLettersFor(forged.submissionId)).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_VERDICT_UNKNOWN_SUBMISSION',
    ]);
    const refused = await deadLettersFor(recorded.submissionId, 2);
    expect(refused.map((l) => l.reason.code).sort()).toEqual([
      'MOD_ERR_VERDICT_UNKNOWN_BANK',
      'MOD_ERR_VERDICT_UNKNOWN_ENTRY',
    ]);
    expect(refused.every((l) => l.consumer === `${world.prefix}actioner`)).toBe(true);
    expect(
      await countRows(`select count(*)::int as n from orders where subject_value like $1`, [`%${host}%`]),
    ).toBe(0);
    expect(
      await countRows(`select count(*)::int as n from verdicts where submission_id = any($1)`, [
        [forged.submissionId, recorded.submissionId],
      ]),
    ).toBe(0);
    for (const format of ['domain-list', 'rpz', 'url-list']) {
      const res = await pipeline.app.inject({ url: `/v1/isp/feeds/${format}`, headers: auth(keys['isp-1']) });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(host);
    }
  });

  it("dead-letters a platform's event naming another tenant's submission, which stays as it was", async () => {
    const res = await upload(keys['platform-a'], await makePhoto(42));
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const scanned = await waitFor('platform-a’s submission scanned', async () => {
      const r = await pipeline.app.inject({
        url: `/v1/submissions/${submissionId}`,
        headers: auth(keys['platform-a']),
      });
      const body = r.json<{ status: string; decision: string | null }>();
      return body.status === 'scanned' ? body : undefined;
    });
    // platform-b, on its own topic, claims platform-a's submission: with other media, and with empty media.
    for (const value of [known, Buffer.alloc(0)]) {
      const meta: PartnerMediaMeta = {
        eventId: randomUUID(),
        submissionId,
        submittedAt: new Date().toISOString(),
      };
      await platformB.producer.send({
        topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-b'),
        messages: [{ key: submissionId, value, headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) } }],
      });
    }
    const letters = await deadLettersFor(submissionId, 2);
    expect(letters.map((l) => l.reason.code)).toEqual([
      'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
      'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
    ]);
    const after = await pipeline.app.inject({
      url: `/v1/submissions/${submissionId}`,
      headers: auth(keys['platform-a']),
    });
    expect(after.json()).toMatchObject({
      tenantId: 'platform-a',
      status: scanned.status,
      decision: scanned.decision,
    });
    expect(
      await countRows(`select count(*)::int as n from verdicts where submission_id = $1`, [submissionId]),
    ).toBe(1);
    expect(
      await countRows(
        `select count(*)::int as n from orders o join order_submissions l on l.order_id = o.id where l.submission_id = $1`,
        [submissionId],
      ),
    ).toBe(0);
  });

  it('dead-letters media of a tenant that does not exist or is disabled', async () => {
    // An operator's mistake: topics and ACLs for a tenant id that is not (or no longer) a tenant.
    const ghost = await grantPartner(world, 'e2e-partner-a', 'ghost-platform', 'platform');
    const meta: PartnerMediaMeta = {
      eventId: randomUUID(),
      submissionId: randomUUID(),
      submittedAt: new Date().toISOString(),
    };
    await ghost.producer.send({
      topic: partnerTopic(world.prefix, 'mediaSubmitted', 'ghost-platform'),
      messages: [
        {
          key: meta.submissionId ?? null,
          value: known,
          headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) },
        },
      ],
    });
    await ghost.close();
    expect((await deadLettersFor(meta.submissionId ?? '')).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_TENANT_UNKNOWN',
    ]);

    await updateTenant(world.db, 'platform-b', { disabled: true }, new Date());
    try {
      const off: PartnerMediaMeta = {
        eventId: randomUUID(),
        submissionId: randomUUID(),
        submittedAt: new Date().toISOString(),
      };
      // The scanner's tenant cache holds a standing for at most 5 s.
      await new Promise((r) => setTimeout(r, 5_500));
      await platformB.producer.send({
        topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-b'),
        messages: [
          {
            key: off.submissionId ?? null,
            value: known,
            headers: { [MEDIA_META_HEADER]: JSON.stringify(off) },
          },
        ],
      });
      expect((await deadLettersFor(off.submissionId ?? '')).map((l) => l.reason.code)).toEqual([
        'MOD_ERR_TENANT_DISABLED',
      ]);
      for (const id of [meta.submissionId, off.submissionId])
        expect(await countRows(`select count(*)::int as n from submissions where id = $1`, [id])).toBe(0);
    } finally {
      await updateTenant(world.db, 'platform-b', { disabled: false }, new Date());
      // Past the scanner's tenant cache, so the tests after this one see platform-b enabled.
      await new Promise((r) => setTimeout(r, 5_500));
    }
  });

  it("takes a platform's tenant from its topic: its media are its own, scanned and actioned", async () => {
    const meta: PartnerMediaMeta = {
      eventId: randomUUID(),
      submittedAt: new Date().toISOString(),
      externalRef: 'k-1',
    };
    await platformA.producer.send({
      topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-a'),
      messages: [{ key: 'k-1', value: known, headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) } }],
    });
    const row = await waitFor('the submission, scanned', async () => {
      const { rows } = await world.db.query<{
        id: string;
        tenant_id: string;
        status: string;
        decision: string;
      }>(`select id, tenant_id, status, decision from submissions where external_ref = 'k-1'`);
      return rows[0]?.status === 'scanned' ? rows[0] : undefined;
    });
    expect(row).toMatchObject({ tenant_id: 'platform-a', decision: 'match' });
  });
});

describe('intake without orphans', () => {
  it('accepts an upload of exactly the largest size the media topic carries, and refuses one byte more', async () => {
    const limit = largestMediaBytes(
      await topicMaxMessageBytes(world.kafka, world.topics.mediaSubmitted),
      API_MEDIA_META_MAX_BYTES,
    );
    expect(limit).toBeGreaterThan(MEDIA_MAX_MESSAGE_BYTES - API_MEDIA_META_MAX_BYTES - 200);
    expect(limit).toBeLessThan(MEDIA_MAX_MESSAGE_BYTES - API_MEDIA_META_MAX_BYTES);
    const photo = await makePhoto(43);
    // A real JPEG, padded after its end marker to the exact size.
    const exact = Buffer.concat([photo, Buffer.alloc(limit - photo.length)]);
    const before = await countRows('select count(*)::int as n from submissions');
    const over = await upload(keys['platform-a'], Buffer.concat([exact, Buffer.from([0])]));
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ error: { code: 'MOD_ERR_API_TOO_LARGE' } });
    expect(await countRows('select count(*)::int as n from submissions')).toBe(before);

    const res = await upload(keys['platform-a'], exact, { 'idempotency-key': `exact-${randomUUID()}` });
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const published = await read(world, world.topics.mediaSubmitted, (r) =>
      r.some((m) => m.key === submissionId),
    );
    expect(published.find((m) => m.key === submissionId)?.value?.length).toBe(limit);
    await waitFor(
      'the verdict',
      async () =>
        (await countRows('select count(*)::int as n from verdicts where submission_id = $1', [
          submissionId,
        ])) === 1,
    );
    expect(await countRows('select count(*)::int as n from media_outbox')).toBe(0);
  });

  it('keeps an upload while the broker refuses it, publishes it when it can, and answers a retry with the same submission', async () => {
    // The broker refuses the API's writes to the media topic (its ACL removed): as good as an outage for intake.
    const apiWrite = {
      resourceType: 'topic' as const,
      patternType: 'literal' as const,
      name: world.topics.mediaSubmitted,
      principal: `User:${DefaultServicePrincipals.api}`,
      operation: 'write' as const,
    };
    await removeAcls(world.kafka, [apiWrite]);
    const photo = await makePhoto(44);
    const key = `retry-${randomUUID()}`;
    let submissionId: string;
    try {
      const first = await upload(keys['platform-a'], photo, { 'idempotency-key': key });
      expect(first.statusCode).toBe(202);
      submissionId = first.json<{ submissionId: string }>().submissionId;
      // The client did not hear back, so it retries: the same submission, not a second one.
      const again = await upload(keys['platform-a'], photo, { 'idempotency-key': key });
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json<{ submissionId: string }>().submissionId).toBe(submissionId);
      const reused = await upload(keys['platform-a'], await makePhoto(45), { 'idempotency-key': key });
      expect(reused.statusCode).toBe(409);
      expect(reused.json()).toMatchObject({ error: { code: 'MOD_ERR_API_IDEMPOTENCY_CONFLICT' } });
      // Another tenant's same key is its own.
      const other = await upload(keys['platform-b'], photo, { 'idempotency-key': key });
      expect(other.json<{ submissionId: string }>().submissionId).not.toBe(submissionId);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(
        await countRows('select count(*)::int as n from media_outbox where submission_id = $1', [
          submissionId,
        ]),
      ).toBe(1);
      expect(
        await countRows(
          `select count(*)::int as n from submissions where idempotency_key = $1 and tenant_id = 'platform-a'`,
          [key],
        ),
      ).toBe(1);
    } finally {
      await applyAcls(world.kafka, [apiWrite]);
    }
    await waitFor(
      'the kept upload scanned',
      async () =>
        (await countRows(`select count(*)::int as n from submissions where id = $1 and status = 'scanned'`, [
          submissionId,
        ])) === 1,
    );
    expect(await countRows('select count(*)::int as n from media_outbox')).toBe(0);
  });
});

describe('orders from content and lists', () => {
  it('lists the order a re-upload of known content folded into', async () => {
    const first = await upload(keys['platform-a'], known);
    const second = await upload(keys['platform-b'], known);
    const ids = [first, second].map((r) => r.json<{ submissionId: string }>().submissionId);
    const views = await waitFor('both submissions with their orders', async () => {
      const all = await Promise.all(
        ids.map(async (id) =>
          (await pipeline.app.inject({ url: `/v1/submissions/${id}`, headers: auth(keys['admin']) })).json<{
            decision: string;
            orderIds: string[];
          }>(),
        ),
      );
      return all.every((v) => v.orderIds.length === 2) ? all : undefined;
    });
    expect(views.map((v) => v.decision)).toEqual(['match', 'match']);
    expect(views[1]?.orderIds.sort()).toEqual(views[0]?.orderIds.sort());
    const listed = await pipeline.app.inject({
      url: `/v1/orders?submissionId=${ids[1]}`,
      headers: auth(keys['authority-1']),
    });
    expect(
      listed
        .json<{ orders: { id: string }[] }>()
        .orders.map((o) => o.id)
        .sort(),
    ).toEqual(views[0]?.orderIds.sort());
  });

  it('makes a blocking request for a URL observed before a curator listed it', async () => {
    const url = `http://seen-first-${randomUUID().slice(0, 8)}.example/page.html`;
    const observe = () =>
      pipeline.app.inject({
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: { ...auth(keys['isp-1']), 'content-type': 'application/x-ndjson' },
        payload: `${JSON.stringify({ url })}\n`,
      });
    expect((await observe()).statusCode).toBe(202);
    await waitFor('the first observation handled', async () => {
      const text = await fetcher.registry.getSingleMetricAsString('mod_fetcher_observed_total');
      return /outcome="not-media-url"[^\n]* [1-9]/.test(text);
    });
    const list = await createUrlList(world, `later-${randomUUID().slice(0, 6)}`, [
      { kind: 'url', pattern: url, dedicatedToAbuse: false, block: true },
    ]);
    await waitFor(
      'the fetcher to know the entry',
      async () => fetcher.service.urlLists.index().match(normalizeUrlOrThrow(url)).length > 0,
    );
    expect((await observe()).statusCode).toBe(202);
    const requests = await readPartners(world, 'blockingRequests', ISPS, (r) =>
      ISPS.every((isp) =>
        r.some((m) => m.tenantId === isp && Codecs.blockingRequest.decode(m.value).subject.value === url),
      ),
    );
    const mine = requests.filter((m) => Codecs.blockingRequest.decode(m.value).subject.value === url);
    expect(mine.map((m) => m.tenantId).sort()).toEqual(ISPS);
    expect(
      mine.every((m) => Codecs.blockingRequest.decode(m.value).evidence.hits[0]?.bankId === list.bankId),
    ).toBe(true);
  });
});

/** Reads a partner's topic as its own principal: what `modctl kafka partner grant` lets it do. */
describe('partners read their own orders on Kafka', () => {
  it("an ISP's principal reads its own blocking requests, and only those", async () => {
    const isp = await grantPartner(world, 'e2e-partner-b', 'isp-2', 'isp');
    try {
      const own = await readTopic(
        isp.kafka,
        partnerTopic(world.prefix, 'blockingRequests', 'isp-2'),
        (r) => r.length > 0,
        30_000,
        partnerGroupPrefix(world.prefix, 'isp-2'),
      );
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((m) => Codecs.blockingRequest.decode(m.value).ispTenantId === 'isp-2')).toBe(true);
      expect(await trySend(isp.kafka, partnerTopic(world.prefix, 'urlObserved', 'isp-1'), 'x')).toMatch(
        /not authorized|authorization failed/i,
      );
    } finally {
      await isp.close();
    }
  });
});
