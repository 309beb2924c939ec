import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codecs, partnerTopic, type DeadLetter, type PartnerMediaMeta, type Verdict } from '@mod/contracts';
import { listAudit, verifyStoredLog } from '@mod/db/audit';
import { countPendingMedia } from '@mod/db/submissions';
import { createProducer, type Producer } from '@mod/kafka';
import { hashMedia } from '@mod/hashing/decode';
import { seedTenants } from '@mod/testing';
import { pipeline, usePipelineWorld, world } from './file-world.js';
import {
  bankKnownPhoto,
  grantPartner,
  json,
  makePhoto,
  multipart,
  read,
  readPartners,
  waitFor,
} from './helpers.js';

usePipelineWorld();
let producer: Producer;
let keys: Record<string, string>;
let known: Buffer;

beforeAll(async () => {
  producer = await createProducer(world.kafka);
  keys = await seedTenants(world.db, [
    { id: 'isp-1', kind: 'isp', role: 'isp' },
    { id: 'isp-2', kind: 'isp' },
    { id: 'isp-3', kind: 'isp', subscribedToBlocking: false, role: 'isp' },
    { id: 'platform-1', kind: 'platform', role: 'platform' },
    { id: 'platform-2', kind: 'platform', role: 'platform' },
  ]);
  // A bank holding the known image's blockhash; the test image is a re-encoded copy, so SHA-256 differs and
  // only the perceptual hash can match.
  known = await makePhoto(7);
  await bankKnownPhoto(world, pipeline, known, ['blockhash', 'pdq']);
});

afterAll(async () => {
  await producer?.disconnect();
});

async function submitViaApi(bytes: Buffer, key: string) {
  const body = multipart(
    { externalRef: 'case-42', reportedCategory: 'csam' },
    { field: 'media', name: 'x.jpg', type: 'image/jpeg', bytes },
  );
  return pipeline.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...body.headers, authorization: `Bearer ${key}` },
    payload: body.payload,
  });
}

describe('one event end to end (real Kafka and Postgres)', () => {
  it('turns a matching upload into a verdict, blocking requests per subscribed ISP, and audit records', async () => {
    const sharp = (await import('sharp')).default;
    const copy = await sharp(known).jpeg({ quality: 70 }).toBuffer();
    const res = await submitViaApi(copy, keys['platform-1'] as string);
    expect(res.statusCode).toBe(202);
    const { submissionId, sha256 } = res.json<{ submissionId: string; sha256: string }>();

    // Stage 1: the media event on Kafka.
    const media = await read(world, world.topics.mediaSubmitted, (r) =>
      r.some((m) => m.key === submissionId),
    );
    const message = media.find((m) => m.key === submissionId);
    const event = Codecs.mediaMeta.decode(message?.headers['mod-meta'] ?? null);
    expect(event).toMatchObject({
      submissionId,
      tenantId: 'platform-1',
      externalRef: 'case-42',
      source: 'api',
      contentType: 'image/jpeg',
    });
    // The media travels as bytes (no base64), and left the intake outbox once published.
    expect(message?.value?.equals(copy)).toBe(true);
    await waitFor('the intake outbox to empty', async () => (await countPendingMedia(world.db)) === 0);

    // Stage 2: the scanner's verdict, with the hit.
    const verdicts = await read(world, world.topics.verdicts, (r) => r.some((m) => m.key === submissionId));
    const verdict = json<Verdict>(verdicts.find((m) => m.key === submissionId)!);
    expect(verdict.decision).toBe('match');
    expect(verdict.hashes.sha256).toBe(sha256);
    expect(verdict.hits).toHaveLength(1);
    expect(verdict.hits[0]).toMatchObject({
      bankName: 'known-abuse',
      signal: 'blockhash',
      category: 'A',
      actionPolicy: 'automatic',
    });
    expect(verdict.hits[0]?.distance).toBeLessThanOrEqual(10);

    // Stage 3: orders in Postgres, one per subscribed ISP, and their messages on the blocking topic.
    const orders = await waitFor('orders', async () => {
      const { rows } = await world.db.query<{
        id: string;
        target_tenant_id: string;
        subject_value: string;
        status: string;
      }>(
        'select id, target_tenant_id, subject_value, status from orders where submission_id = $1 order by target_tenant_id',
        [submissionId],
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(orders.map((o) => o.target_tenant_id)).toEqual(['isp-1', 'isp-2']);
    expect(orders.every((o) => o.subject_value === sha256 && o.status === 'issued')).toBe(true);
    const blocking = await readPartners(
      world,
      'blockingRequests',
      ['isp-1', 'isp-2', 'isp-3'],
      (r) => r.length >= 2,
    );
    const requests = blocking.map((m) => ({
      tenantId: m.tenantId,
      body: Codecs.blockingRequest.decode(m.value),
    }));
    // Each subscribed ISP's request on its own topic (isp-3 is not subscribed).
    expect(requests.map((r) => r.tenantId).sort()).toEqual(['isp-1', 'isp-2']);
    expect(requests.every((r) => r.body.ispTenantId === r.tenantId && r.body.subject.value === sha256)).toBe(
      true,
    );
    expect(new Set(requests.map((r) => r.body.orderId))).toEqual(new Set(orders.map((o) => o.id)));

    // Stage 4: audit records, in the Merkle log.
    const audit = await listAudit(world.db);
    expect(
      audit.filter((a) => a.action === 'verdict.recorded' && a.subject.id === submissionId),
    ).toHaveLength(1);
    expect(
      audit
        .filter((a) => a.action === 'order.issued')
        .map((a) => a.subject.id)
        .sort(),
    ).toEqual(orders.map((o) => o.id).sort());
    expect(await verifyStoredLog(world.db)).toMatchObject({ ok: true });

    // Stage 5: the API shows it, scoped by tenant (another ISP gets 404, not 403).
    const isp1Order = orders.find((o) => o.target_tenant_id === 'isp-1')!;
    const mine = await pipeline.app.inject({
      url: `/v1/orders/${isp1Order.id}`,
      headers: { authorization: `Bearer ${keys['isp-1']}` },
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({
      id: isp1Order.id,
      kind: 'blocking',
      status: 'issued',
      subject: { type: 'content-hash', value: sha256 },
    });
    const theirs = await pipeline.app.inject({
      url: `/v1/orders/${isp1Order.id}`,
      headers: { authorization: `Bearer ${keys['isp-3']}` },
    });
    expect(theirs.statusCode).toBe(404);
    const list = await pipeline.app.inject({
      url: '/v1/orders?kind=blocking',
      headers: { authorization: `Bearer ${keys['isp-1']}` },
    });
    expect(list.json<{ orders: { id: string }[] }>().orders.map((o) => o.id)).toEqual([isp1Order.id]);
    const sub = await pipeline.app.inject({
      url: `/v1/submissions/${submissionId}`,
      headers: { authorization: `Bearer ${keys['platform-1']}` },
    });
    expect(sub.json()).toMatchObject({
      status: 'scanned',
      decision: 'match',
    });
    expect([...sub.json<{ orderIds: string[] }>().orderIds].sort()).toEqual(orders.map((o) => o.id).sort());
    const other = await pipeline.app.inject({
      url: `/v1/submissions/${submissionId}`,
      headers: { authorization: `Bearer ${keys['platform-2']}` },
    });
    expect(other.statusCode).toBe(404);
  });

  it('folds the same event published twice, and the same content in a new event, into one order per ISP', async () => {
    const bytes = await makePhoto(7, 320, 240);
    const submissionId = randomUUID();
    const event: PartnerMediaMeta = {
      eventId: randomUUID(),
      submissionId,
      submittedAt: new Date().toISOString(),
    };
    const again: PartnerMediaMeta = { ...event, eventId: randomUUID(), submissionId: randomUUID() };
    // The platform publishes on its own topic, as its own principal.
    const partner = await grantPartner(world, 'e2e-partner-a', 'platform-1', 'platform');
    for (const e of [event, event, again]) {
      await partner.producer.send({
        topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-1'),
        messages: [{ key: e.submissionId ?? null, value: bytes, headers: { 'mod-meta': JSON.stringify(e) } }],
      });
    }
    await partner.close();
    await waitFor('both submissions recorded', async () => {
      const { rows } = await world.db.query<{ n: number }>(
        `select count(distinct submission_id)::int as n from verdicts where submission_id = any($1)`,
        [[submissionId, again.submissionId]],
      );
      return rows[0]?.n === 2;
    });
    const verdictRows = await world.db.query('select 1 from verdicts where submission_id = $1', [
      submissionId,
    ]);
    expect(verdictRows.rowCount).toBe(1);
    const sha = (await hashMedia(bytes)).sha256;
    const orders = await world.db.query<{ target_tenant_id: string }>(
      'select target_tenant_id from orders where subject_value = $1 order by target_tenant_id',
      [sha],
    );
    expect(orders.rows.map((r) => r.target_tenant_id)).toEqual(['isp-1', 'isp-2']);
  });

  it('dead-letters a corrupt image with a reason code, keeps running, and still scans the next one', async () => {
    const good = await makePhoto(99);
    const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 0x41)]);
    const res = await submitViaApi(corrupt, keys['platform-1'] as string);
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const letters = await read(world, world.topics.deadLetters, (r) => r.some((m) => m.key === submissionId));
    const letter = json<DeadLetter>(letters.find((m) => m.key === submissionId)!);
    expect(letter.reason.code).toMatch(/^MOD_ERR_HASH_/);
    expect(letter.sourceTopic).toBe(world.topics.mediaSubmitted);
    expect(JSON.stringify(letter)).not.toContain(corrupt.toString('base64').slice(0, 40));
    const sub = await waitFor('failure recorded', async () => {
      const r = await pipeline.app.inject({
        url: `/v1/submissions/${submissionId}`,
        headers: { authorization: `Bearer ${keys['platform-1']}` },
      });
      const body = r.json<{ status: string; failureCode: string | null }>();
      return body.status === 'failed' ? body : undefined;
    });
    expect(sub.failureCode).toBe(letter.reason.code);

    const next = await submitViaApi(good, keys['platform-1'] as string);
    const nextId = next.json<{ submissionId: string }>().submissionId;
    const verdicts = await read(world, world.topics.verdicts, (r) => r.some((m) => m.key === nextId));
    expect(json<Verdict>(verdicts.find((m) => m.key === nextId)!).decision).toBe('no-match');
    const ready = await pipeline.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(await pipeline.registries.scanner.getSingleMetricAsString('mod_step_outcomes_total')).toMatch(
      /outcome="dlq"[^\n]*} [1-9]/,
    );
  });

  it('refuses uploads without a valid platform key', async () => {
    const bytes = await makePhoto(3);
    expect((await submitViaApi(bytes, 'mod_notarealkey_x')).statusCode).toBe(401);
    expect((await submitViaApi(bytes, keys['isp-1'] as string)).statusCode).toBe(403);
    const audit = await listAudit(world.db);
    expect(audit.some((a) => a.action === 'auth.failed')).toBe(true);
  });
});
