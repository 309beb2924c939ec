import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, loadSigningKey, signTreeHead, type SignedTreeHead } from '@mod/audit';
import { topicSpecs } from '@mod/contracts';
import { appendAuditBatch, createTreeHeadSigner, signTreeHeadIfDue, type AuditEntry } from '@mod/db/audit';
import { deleteTopics, ensureTopics } from '@mod/kafka';
import { createLogger } from '@mod/telemetry';
import { createTestSchema } from '@mod/testing';
import { lastPublishedTreeHead } from './published-tree-head.js';
import { createApiTestWorld, type ApiTestWorld } from './testing.js';

// The database's owner (without the signing key) rewrites the log and deletes every stored head, then restarts
// the API: the heads already published on Kafka still bind the signer.

let world: ApiTestWorld;
let topic: string;
const logger = createLogger('api-test', 'silent');

beforeAll(async () => {
  world = await createApiTestWorld();
  topic = world.topics.auditTreeHeads;
  await ensureTopics(
    world.kafka,
    topicSpecs(world.prefix).filter((s) => s.name === topic),
  );
});
afterAll(async () => {
  await deleteTopics(world.kafka, [topic]).catch(() => undefined);
  await world.close();
});

const entry = (i: number, reason = `record ${i}`): AuditEntry => ({
  actor: { kind: 'service', id: 'actioner' },
  action: 'verdict.recorded',
  subject: { type: 'submission', id: `sub-${i}` },
  reason,
  evidence: {},
  versions: { policy: '1' },
});
const schedule = { everyRecords: 1, everyMs: 3_600_000 };

describe('the tree-head signer after a restart', () => {
  it('starts from the largest published head a trusted key signed, and signs no log rewritten below it', async () => {
    const pool = world.db.pool;
    const sign = async () => (await signTreeHeadIfDue(pool, { key: world.auditKey, schedule, topic: null }))!;
    await appendAuditBatch(
      pool,
      [0, 1, 2].map((i) => entry(i)),
    );
    const at3 = await sign();
    await appendAuditBatch(
      pool,
      [3, 4, 5].map((i) => entry(i)),
    );
    const at6 = await sign();
    expect(at6.treeSize).toBe(6);
    // What else the topic may hold: the older head after the newer, a head forged larger, one signed by a key
    // the log does not trust, and a message that is no head at all.
    const stranger = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const messages: (SignedTreeHead | string)[] = [
      at6,
      at3,
      { ...at6, treeSize: 40 },
      signTreeHead({ treeSize: 50, rootHash: at6.rootHash, timestamp: at6.timestamp }, stranger),
      'not a head',
    ];
    await world.producer.send({
      topic,
      messages: messages.map((m) => ({ value: typeof m === 'string' ? m : JSON.stringify(m) })),
    });
    const previous = await lastPublishedTreeHead(world.kafka, topic, [world.auditKey], logger);
    expect(previous).toEqual(at6);

    // Another history in a database with no head at all: the restarted signer refuses it.
    const rewritten = await createTestSchema();
    try {
      await appendAuditBatch(
        rewritten.pool,
        Array.from({ length: 8 }, (_, i) => entry(i, `other ${i}`)),
      );
      const signer = createTreeHeadSigner({
        pool: rewritten.pool,
        key: world.auditKey,
        schedule,
        topic: null,
        logger,
        previous,
      });
      await expect(signer.tick()).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_LOG_INCONSISTENT' });
    } finally {
      await rewritten.drop();
    }
    // The log that extends it is signed as before.
    await appendAuditBatch(pool, [entry(6)]);
    const signer = createTreeHeadSigner({
      pool,
      key: world.auditKey,
      schedule,
      topic: null,
      logger,
      previous,
    });
    expect(await signer.tick()).toMatchObject({ treeSize: 7 });
  });

  it('starts from nothing on an empty topic', async () => {
    const empty = `${world.prefix}empty-heads`;
    await ensureTopics(world.kafka, [
      { name: empty, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    try {
      expect(await lastPublishedTreeHead(world.kafka, empty, [world.auditKey], logger)).toBeNull();
    } finally {
      await deleteTopics(world.kafka, [empty]);
    }
  });
});
