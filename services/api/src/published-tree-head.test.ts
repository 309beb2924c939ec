import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, loadSigningKey, signTreeHead, type SignedTreeHead } from '@mod/audit';
import { topicSpecs } from '@mod/contracts';
import {
  appendAuditBatch,
  auditLogId,
  createTreeHeadSigner,
  signTreeHeadIfDue,
  type AuditEntry,
  type RefusedHead,
} from '@mod/db/audit';
import { deleteTopics, ensureTopics } from '@mod/kafka';
import { createLogger, createRegistry } from '@mod/telemetry';
import { createTestSchema } from '@mod/testing';
import { lastPublishedTreeHead } from './published-tree-head.js';
import { registerRefusedHeadMetric } from './routes/audit-metrics.js';
import { createApiTestWorld, type ApiTestWorld } from './testing.test-helper.js';

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
    const refused: RefusedHead[] = [];
    const logId = await auditLogId(pool);
    const options = { trusted: [world.auditKey], logId, logger, report: (r: RefusedHead) => refused.push(r) };
    const previous = await lastPublishedTreeHead(world.kafka, topic, options);
    expect(previous).toEqual(at6);
    // The forged size under the log's key id is reported; the stranger's head is not of a trusted key's id.
    expect(refused).toEqual([{ treeSize: 40, keyId: world.auditKey.keyId, logId, reason: 'bad_signature' }]);

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
      const logId = await auditLogId(world.db.pool);
      expect(
        await lastPublishedTreeHead(world.kafka, empty, { trusted: [world.auditKey], logId, logger }),
      ).toBeNull();
    } finally {
      await deleteTopics(world.kafka, [empty]);
    }
  });

  it("passes over a head of another log signed with the log's key, published later and larger, and counts it", async () => {
    const heads = `${world.prefix}other-log-heads`;
    await ensureTopics(world.kafka, [
      { name: heads, partitions: 1, retentionMs: 3_600_000, cleanupPolicy: 'delete' },
    ]);
    // Another deployment (its own database, so its own log id) under the same key: a restored or shared topic.
    const other = await createTestSchema();
    try {
      const pool = world.db.pool;
      await appendAuditBatch(pool, [entry(100)]);
      const ours = (await signTreeHeadIfDue(pool, {
        key: world.auditKey,
        schedule,
        topic: null,
        force: true,
      }))!;
      await appendAuditBatch(
        other.pool,
        Array.from({ length: ours.treeSize + 5 }, (_, i) => entry(i, `elsewhere ${i}`)),
      );
      const theirs = (await signTreeHeadIfDue(other.pool, { key: world.auditKey, schedule, topic: null }))!;
      const logId = await auditLogId(pool);
      expect(theirs).toMatchObject({
        treeSize: ours.treeSize + 5,
        keyId: ours.keyId,
        logId: await auditLogId(other.pool),
      });
      expect(theirs.logId).not.toBe(logId);
      await world.producer.send({
        topic: heads,
        messages: [ours, theirs].map((h) => ({ value: JSON.stringify(h) })),
      });

      const registry = createRegistry('api');
      const report = registerRefusedHeadMetric(registry);
      const previous = await lastPublishedTreeHead(world.kafka, heads, {
        trusted: [world.auditKey],
        logId,
        logger,
        report,
      });
      expect(previous).toEqual(ours);
      const counted = await registry.getSingleMetric('mod_api_audit_head_rows_refused_total')?.get();
      const of = (reason: string) => counted?.values.find((v) => v.labels['reason'] === reason)?.value;
      expect(of('wrong_log')).toBe(1);
      expect(of('bad_signature')).toBe(0);
      // The other deployment's own start-up read takes its head, never this log's smaller one as its last.
      const logIdThere = await auditLogId(other.pool);
      const there = await lastPublishedTreeHead(world.kafka, heads, {
        trusted: [world.auditKey],
        logId: logIdThere,
        logger,
      });
      expect(there).toEqual(theirs);
    } finally {
      await other.drop();
      await deleteTopics(world.kafka, [heads]);
    }
  });
});
