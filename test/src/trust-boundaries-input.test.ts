import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MEDIA_META_HEADER,
  partnerGroupPrefix,
  partnerTopic,
  partnerTopicSpec,
  type DeadLetter,
} from '@mod/contracts';
import { flatRgbaPng } from '@mod/hashing/testing/synthetic-photos';
import { ANY_ACL, ensureTopics } from '@mod/kafka';
import {
  Admin as PlatformaticAdmin,
  ClientQuotaEntityTypes,
  ClientQuotaKeys,
  ConfigResourceTypes,
  Producer as PlatformaticProducer,
} from '@platformatic/kafka';
import { readTopic } from '@mod/testing';
import { json, makePhoto, publishPartnerMedia, read, waitScanned, worldGroups } from './helpers.js';
import { errorText, trySend, useTrustScene } from './trust-boundaries-scene.js';

/**
 * What a platform holding its own Kafka credentials can send or reach, through the real broker and pipeline:
 * hostile `mod-meta` headers and an image that would decode to 1.2 GB are dead-lettered with a code and never hold
 * up its partition, an event naming one of its own decided submissions cannot undo the decision, and the broker
 * refuses every topic and group that is not the partner's.
 */

const scene = useTrustScene();

/** The submission's state as PostgreSQL keeps it. */
async function submissionRow(id: string) {
  const { rows } = await scene.world.db.query<{
    status: string;
    decision: string | null;
    failure_code: string | null;
  }>(`select status, decision, failure_code from submissions where id = $1`, [id]);
  return rows[0];
}

const ordersOf = (submissionId: string) =>
  scene.countRows(`select count(*)::int as n from order_submissions where submission_id = $1`, [
    submissionId,
  ]);

describe("a platform's own Kafka topic carries only what the platform may say", () => {
  it('dead-letters hostile mod-meta headers with a code and goes on with the partition', async () => {
    const topic = partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-a');
    const meta = (extra: Record<string, unknown>) =>
      JSON.stringify({ eventId: randomUUID(), submittedAt: new Date().toISOString(), ...extra });
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const hostile: Record<string, Buffer | string | undefined> = {
      // PostgreSQL refuses a NUL in text: before the contract refused it, the claim failed and was retried forever.
      'nul-in-ref': meta({ submissionId: randomUUID(), externalRef: 'ref\u0000x' }),
      'nul-in-url': meta({ submissionId: randomUUID(), url: 'http://a.example/\u0000' }),
      'not-utf8': Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      'deep-json': `{"eventId":${deep(200_000)}}`,
      'big-json': meta({ submissionId: randomUUID(), externalRef: 'x'.repeat(100_000) }),
      'names-a-tenant': meta({ submissionId: randomUUID(), tenantId: 'platform-b', source: 'api' }),
      // Half of a surrogate pair (JSON escapes it, `"\ud800"`) has no UTF-8 form: PostgreSQL kept U+FFFD for it, the
      // verdict the lone half, and the actioner refused the verdict as another submission's URL, leaving the
      // submission unscanned and the dead letter blaming a verdict writer.
      'lone-surrogate-in-url': meta({ submissionId: randomUUID(), url: 'https://a.example/\ud800' }),
      'lone-surrogate-in-ref': meta({ submissionId: randomUUID(), externalRef: 'ref-\udc00' }),
      // What the API refuses in an upload's fields: control and bidi characters. The URL became the subject of a
      // takedown order to the platform hosting it (another platform), shown in its requests and in the console.
      'bidi-in-url': meta({ submissionId: randomUUID(), url: 'https://b.example/\u202egpj.exe' }),
      'newline-in-ref': meta({ submissionId: randomUUID(), externalRef: 'ref\nforged: line' }),
      'csi-in-category': meta({ submissionId: randomUUID(), reportedCategory: '\u009b31mA' }),
      'no-header': undefined,
    };
    await scene.platformA.producer.send({
      topic,
      messages: Object.entries(hostile).map(([key, header]) => ({
        key,
        value: scene.known,
        ...(header === undefined ? {} : { headers: { [MEDIA_META_HEADER]: header } }),
      })),
    });
    // Behind them on the same partition (the topic has one), a good event is scanned.
    const after = await publishPartnerMedia(scene.world, scene.platformA, await makePhoto(44));
    for (const key of Object.keys(hostile)) {
      const letters = await scene.deadLettersFor(key);
      expect(
        letters.map((l) => l.reason.code),
        key,
      ).toEqual(['MOD_ERR_CONTRACT_INVALID']);
      expect(letters[0]?.sourceTopic).toBe(topic);
    }
    await waitScanned(scene.world, 'the event behind the hostile ones', [after]);
    expect(
      await scene.countRows(`select count(*)::int as n from submissions where tenant_id = 'platform-b'`),
    ).toBe(0);
  });

  it('fails media whose decode would not fit the budget, dead-letters it and goes on with the partition', async () => {
    // 1.1 MB on the wire, 1.2 GB to decode: a 16-bit interlaced RGBA PNG of 10000×10000, which the PNG loader
    // decodes whole. Before the budget, two of them got a scanner pod OOM-killed on every redelivery.
    const bomb = await flatRgbaPng(10_000, 10_000, { bits16: true, interlaced: true, compressionLevel: 9 });
    const refused = await publishPartnerMedia(scene.world, scene.platformA, bomb);
    const after = await publishPartnerMedia(scene.world, scene.platformA, await makePhoto(45));
    const letters = await scene.deadLettersFor(refused);
    expect(letters.map((l) => l.reason.code)).toEqual(['MOD_ERR_HASH_TOO_MANY_DECODED_BYTES']);
    expect(await submissionRow(refused)).toMatchObject({
      status: 'failed',
      failure_code: 'MOD_ERR_HASH_TOO_MANY_DECODED_BYTES',
    });
    await waitScanned(scene.world, 'the event behind the refused one', [after]);
  });

  it('cannot make the scanner inflate a compressed batch past its budget: dead-lettered, and the partition goes on', async () => {
    // A platform's own client may compress its batches: 512 MiB of zeros are 16 KiB of zstd on the wire, and the
    // scanner's client inflated them whole (a pod's memory, on every redelivery, with a few such records).
    const topic = partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-a');
    const raw = new PlatformaticProducer({ ...scene.platformA.kafka.base, compression: 'zstd' });
    try {
      const meta = JSON.stringify({ eventId: randomUUID(), submittedAt: new Date().toISOString() });
      await raw.send({
        messages: [
          {
            topic,
            key: Buffer.from('bomb'),
            value: Buffer.alloc(512 * 1024 * 1024),
            headers: new Map([[Buffer.from(MEDIA_META_HEADER), Buffer.from(meta)]]),
          },
        ],
      });
    } finally {
      await raw.close();
    }
    const after = await publishPartnerMedia(scene.world, scene.platformA, await makePhoto(46));
    const letters = await read(scene.world, scene.world.topics.deadLetters, (r) =>
      r.some((m) => json<DeadLetter>(m).reason.code === 'MOD_ERR_KAFKA_BATCH_REFUSED'),
    );
    const refused = letters.map((m) => json<DeadLetter>(m)).filter((l) => l.sourceTopic === topic);
    expect(refused.filter((l) => l.reason.code === 'MOD_ERR_KAFKA_BATCH_REFUSED')).toHaveLength(1);
    await waitScanned(scene.world, 'the event behind the refused batch', [after]);
  });

  it('cannot undo the decision on its own scanned submission by naming it with other media', async () => {
    const res = await scene.upload('platform-a', scene.known);
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    await waitScanned(scene.world, 'the uploaded submission', [submissionId]);
    const decided = await submissionRow(submissionId);
    expect(decided).toMatchObject({ status: 'scanned', decision: 'match', failure_code: null });
    // Scanned is recorded in the transaction that opened its orders.
    const orders = await ordersOf(submissionId);
    expect(orders).toBeGreaterThan(0);
    // Empty, undecodable and other media, each naming the decided submission: each used to mark it failed
    // (and a failed submission is skipped by the classifier, so no review case would ever open for it). Their bytes
    // are compared with the recorded digest before any other check (ffa56ec), so each is refused as not its media.
    for (const value of [Buffer.alloc(0), Buffer.from('not an image at all'), await makePhoto(45)])
      await publishPartnerMedia(scene.world, scene.platformA, value, { submissionId });
    const codes = (await scene.deadLettersFor(submissionId, 3)).map((l) => l.reason.code);
    expect(codes).toEqual(Array.from({ length: 3 }, () => 'MOD_ERR_SCAN_DIGEST_MISMATCH'));
    expect(await submissionRow(submissionId)).toEqual(decided);
    expect(await ordersOf(submissionId)).toBe(orders);
    expect(
      await scene.countRows(`select count(*)::int as n from verdicts where submission_id = $1`, [
        submissionId,
      ]),
    ).toBe(1);
    // Where it stands for the platform itself, through the API.
    const seen = await scene.inject('platform-a', { url: `/v1/submissions/${submissionId}` });
    expect(seen.json()).toMatchObject({ status: 'scanned', decision: 'match' });
  });
});

describe('the broker refuses a platform everything but its own topics and groups', () => {
  const denied = /not authorized|authorization/i;
  const reading = (topic: string, groupPrefix = partnerGroupPrefix(scene.world.prefix, 'platform-a')) =>
    readTopic(scene.platformA.kafka, topic, () => false, 8_000, groupPrefix).then(
      () => 'read',
      (err: unknown) => errorText(err),
    );

  it('cannot create topics, not even one the scanner would take for another platform’s', async () => {
    for (const name of ['platform-new', 'platform-b2']) {
      const spec = partnerTopicSpec(scene.world.prefix, 'mediaSubmitted', name);
      const refused = await ensureTopics(scene.platformA.kafka, [spec]).then(
        () => 'created',
        (err: unknown) => errorText(err),
      );
      expect(refused, name).toMatch(denied);
      // Nor by producing to it (automatic creation).
      expect(await trySend(scene.platformA.kafka, spec.name, 'x'), name).toMatch(
        /not authorized|authorization|unknown/i,
      );
    }
  });

  it("cannot read another platform's media, the dead letters or the internal topics, nor write its outbound topics", async () => {
    for (const topic of [
      partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-b'),
      partnerTopic(scene.world.prefix, 'orderEvents', 'platform-b'),
      scene.world.topics.deadLetters,
      scene.world.topics.mediaSubmitted,
      scene.world.topics.classifications,
    ])
      expect(await reading(topic), topic).toMatch(denied);
    for (const topic of [
      partnerTopic(scene.world.prefix, 'takedownRequests', 'platform-a'),
      partnerTopic(scene.world.prefix, 'orderEvents', 'platform-a'),
      scene.world.topics.deadLetters,
      scene.world.topics.classifications,
      scene.world.topics.urlObserved,
      partnerTopic(scene.world.prefix, 'urlObserved', 'isp-1'),
    ])
      expect(await trySend(scene.platformA.kafka, topic, 'x'), topic).toMatch(denied);
  });

  it("cannot join, read with or delete the services' consumer groups", async () => {
    const groups = worldGroups(scene.world.prefix);
    // Its own outbound topic, read in a group named like the scanner's or the actioner's.
    const own = partnerTopic(scene.world.prefix, 'takedownRequests', 'platform-a');
    for (const group of [groups.scanner, groups.actioner])
      expect(await reading(own, group), group).toMatch(denied);
    // ... or another platform's group.
    expect(await reading(own, partnerGroupPrefix(scene.world.prefix, 'platform-b'))).toMatch(denied);
    // The client's own admin, as an attacker would use it (the project's `deleteGroups` forgives failures).
    const admin = new PlatformaticAdmin(scene.platformA.kafka.base);
    try {
      for (const group of [groups.scanner, groups.actioner]) {
        const deleted = await admin.deleteGroups({ groups: [group] }).then(
          () => 'deleted',
          (err: unknown) => errorText(err),
        );
        expect(deleted, group).toMatch(denied);
      }
    } finally {
      await admin.close();
    }
  });

  it("cannot see or change topics' and the cluster's settings, the services' groups' offsets, or use a transactional id", async () => {
    const { prefix } = scene.world;
    const own = partnerTopic(prefix, 'mediaSubmitted', 'platform-a');
    const other = partnerTopic(prefix, 'mediaSubmitted', 'platform-b');
    const scanner = worldGroups(prefix).scanner;
    const admin = new PlatformaticAdmin(scene.platformA.kafka.base);
    const outcome = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'allowed',
        (err: unknown) => errorText(err),
      );
    const topicConfigs = (name: string) => ({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }],
    });
    const attempts: Record<string, () => Promise<unknown>> = {
      "another platform's topic settings": () => admin.describeConfigs(topicConfigs(other)),
      // Its own topic's timestamps back to its producer's clock (the broker's append time guards the age metrics).
      "its own topic's timestamp type": () =>
        admin.incrementalAlterConfigs({
          resources: [
            {
              ...topicConfigs(own).resources[0]!,
              configs: [{ name: 'message.timestamp.type', configOperation: 0, value: 'CreateTime' }],
            },
          ],
        }),
      "its own topic's partitions": () => admin.createPartitions({ topics: [{ name: own, count: 4 }] }),
      'its own topic, deleted': () => admin.deleteTopics({ topics: [own] }),
      "the cluster's ACLs": () => admin.describeAcls({ filter: ANY_ACL }),
      'its own quotas, raised': () =>
        admin.alterClientQuotas({
          entries: [
            {
              entities: [{ entityType: ClientQuotaEntityTypes.USER, entityName: scene.platformA.principal }],
              ops: [{ key: ClientQuotaKeys.PRODUCER_BYTE_RATE, value: 1e12, remove: false }],
            },
          ],
        }),
      "the scanner's committed offsets": () => admin.listConsumerGroupOffsets({ groups: [scanner] }),
      "the scanner's offsets, moved": () =>
        admin.alterConsumerGroupOffsets({
          groupId: scanner,
          topics: [{ name: own, partitionOffsets: [{ partition: 0, offset: 0n }] }],
        }),
      'a scanner member, removed': () =>
        admin.removeMembersFromConsumerGroup({
          groupId: scanner,
          members: [{ memberId: 'a-scanner' }],
        }),
      'a transactional id (fencing a service that would use it)': async () => {
        const producer = new PlatformaticProducer({
          ...scene.platformA.kafka.base,
          idempotent: true,
          transactionalId: `${prefix}actioner-relay`,
        });
        try {
          const tx = await producer.beginTransaction();
          await tx.send({ messages: [{ topic: own, key: Buffer.from('k'), value: Buffer.from('v') }] });
          await tx.commit();
        } finally {
          await producer.close();
        }
      },
    };
    try {
      for (const [what, attempt] of Object.entries(attempts))
        expect(await outcome(attempt()), what).toMatch(/authorization failed/i);
      // Of the groups, it sees its own only (none yet).
      expect([...(await admin.listGroups()).keys()]).toEqual([]);
    } finally {
      await admin.close();
    }
  });
});
