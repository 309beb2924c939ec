import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromHex,
  generateSigningKeyPair,
  inclusionPlan,
  loadSigningKey,
  planNodeIds,
  verifyConsistency,
  verifyInclusion,
} from '@mod/audit';
import type { MerkleStore, NodeId } from '@mod/audit';
import { MerkleNodeCache } from './audit-node-cache.js';
import {
  appendAuditBatch,
  auditConsistencyProof,
  auditInclusionProof,
  createPgMerkleStore,
  signTreeHeadIfDue,
} from './domains/audit.js';
import { auditEntry } from './audit.test-helper.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';
import type { Queryable } from './pool.js';

const RECORDS = 700;
let db: TestDatabase;
const key = loadSigningKey(generateSigningKeyPair().privateKeyPem);

beforeAll(async () => {
  db = await createTestSchema();
  for (let i = 0; i < RECORDS; i += 100) {
    await appendAuditBatch(
      db.pool,
      Array.from({ length: 100 }, (_, j) => auditEntry(i + j)),
    );
  }
  await signTreeHeadIfDue(db.pool, {
    key,
    schedule: { everyRecords: 1, everyMs: 0 },
    topic: null,
    force: true,
  });
});
afterAll(async () => {
  await db.drop();
});

/** Every complete subtree of a tree of `size` leaves. */
function allNodes(size: number): NodeId[] {
  const ids: NodeId[] = [];
  for (let level = 0; 2 ** level <= size; level++) {
    for (let index = 0; index < Math.floor(size / 2 ** level); index++) ids.push({ level, index });
  }
  return ids;
}

const hex = (hash: Uint8Array | undefined): string | undefined =>
  hash === undefined ? undefined : Buffer.from(hash).toString('hex');
const hexes = (hashes: readonly Uint8Array[]): (string | undefined)[] => hashes.map(hex);

/** The pool, counting the statements it is given. */
function counted(): { db: Queryable; statements: () => number } {
  let n = 0;
  return {
    db: {
      query: ((...args: Parameters<Queryable['query']>) => (
        n++,
        db.pool.query(...args)
      )) as Queryable['query'],
    },
    statements: () => n,
  };
}

/** A store that records which node ids reach it. */
function recording(store: MerkleStore): { store: MerkleStore; asked: NodeId[] } {
  const asked: NodeId[] = [];
  return {
    asked,
    store: {
      ...store,
      getNodes: (ids) => {
        asked.push(...ids);
        return store.getNodes(ids);
      },
    },
  };
}

describe('MerkleNodeCache over the Postgres store', () => {
  it('holds the upper levels, grows by one query, and answers exactly what the table holds', async () => {
    const cache = new MerkleNodeCache(64);
    const pgStore = createPgMerkleStore(db.pool);
    const counter = counted();

    await cache.cover(counter.db, 300);
    expect(counter.statements()).toBe(1);
    // 2·300/2^4 ≤ 64 nodes: levels ≥ 4 are held, [0, ⌊300/2^l⌋) each.
    expect(cache.nodeCount).toBe([4, 5, 6, 7, 8].reduce((n, l) => n + Math.floor(300 / 2 ** l), 0));
    expect(cache.get({ level: 4, index: 17 })).toBeDefined();
    expect(cache.get({ level: 4, index: 18 })).toBeUndefined(); // covers leaves 288..303, not all in 300
    expect(cache.get({ level: 3, index: 0 })).toBeUndefined();

    // 300 → 310 completes one more node at level 4 and none above.
    await cache.cover(counter.db, 310);
    expect(counter.statements()).toBe(2);
    const upTo310 = allNodes(310).filter((id) => id.level >= 4);
    expect(upTo310.map((id) => hex(cache.get(id)))).toEqual(hexes(await pgStore.getNodes(upTo310)));

    // Growing to 700 would exceed 64 nodes at level 4: level 4 is dropped, level 5 up is completed.
    await cache.cover(counter.db, RECORDS);
    await cache.cover(counter.db, 500); // covered already: no query
    expect(counter.statements()).toBe(3);
    expect(cache.coveredSize).toBe(RECORDS);
    expect(cache.nodeCount).toBe([5, 6, 7, 8, 9].reduce((n, l) => n + Math.floor(RECORDS / 2 ** l), 0));
    expect(cache.get({ level: 4, index: 0 })).toBeUndefined();

    const ids = allNodes(RECORDS);
    const direct = await pgStore.getNodes(ids);
    const inner = recording(pgStore);
    const through = await cache.over(inner.store).getNodes(ids);
    expect(hexes(through)).toEqual(hexes(direct));
    expect(inner.asked.length).toBe(ids.filter((id) => id.level < 5).length);
    expect(inner.asked.every((id) => id.level < 5)).toBe(true);

    // A proof through the cache reads only its lowest levels, in one query.
    const plan = planNodeIds(inclusionPlan(123, RECORDS));
    const proofInner = recording(createPgMerkleStore(counter.db));
    await cache.over(proofInner.store).getNodes(plan);
    expect(counter.statements()).toBe(4);
    expect(proofInner.asked).toEqual(plan.filter((id) => id.level < 5));
  });

  it('queues concurrent growth: each size is read once, and the result matches the table', async () => {
    const cache = new MerkleNodeCache(64);
    const counter = counted();
    await Promise.all([
      cache.cover(counter.db, 300),
      cache.cover(counter.db, RECORDS),
      cache.cover(counter.db, 300),
    ]);
    expect(counter.statements()).toBe(2); // 300, then what 700 adds; the second 300 is covered already
    expect(cache.coveredSize).toBe(RECORDS);
    const upper = allNodes(RECORDS).filter((id) => id.level >= 5);
    expect(upper.map((id) => hex(cache.get(id)))).toEqual(
      hexes(await createPgMerkleStore(db.pool).getNodes(upper)),
    );
  });

  it('refuses a size the table does not hold and keeps what it had', async () => {
    const cache = new MerkleNodeCache(64);
    await cache.cover(db.pool, 256);
    const held = cache.nodeCount;
    await expect(cache.cover(db.pool, RECORDS + 64)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_STORE_MISSING_NODE',
    });
    expect(cache.coveredSize).toBe(256);
    expect(cache.nodeCount).toBe(held);
    await cache.cover(db.pool, 512); // still usable
    expect(cache.coveredSize).toBe(512);
  });
});

describe('proofs served through the cache', () => {
  it('equal the proofs read inside a transaction (no cache) and verify', async () => {
    const client = await db.pool.connect();
    try {
      for (const seq of [0, 1, 255, 256, 511, 600, RECORDS - 1]) {
        const cached = await auditInclusionProof(db.pool, [key], seq);
        expect(cached).toEqual(await auditInclusionProof(client, [key], seq));
        const proof = cached.entry.inclusionProof.map((p) => fromHex(p) as Buffer);
        const root = fromHex(cached.treeHead.rootHash) as Buffer;
        const leaf = fromHex(cached.entry.leafHash) as Buffer;
        expect(verifyInclusion(seq, RECORDS, leaf, proof, root)).toBe(true);
      }
      for (const size1 of [0, 1, 63, 64, 65, 300, 512, RECORDS]) {
        const cached = await auditConsistencyProof(db.pool, [key], size1);
        expect(cached).toEqual(await auditConsistencyProof(client, [key], size1));
        expect(cached.treeHead2?.rootHash).toBe(cached.rootHash2);
        const proof = cached.proof.map((p) => fromHex(p) as Buffer);
        const [r1, r2] = [fromHex(cached.rootHash1) as Buffer, fromHex(cached.rootHash2) as Buffer];
        expect(verifyConsistency(size1, RECORDS, r1, r2, proof)).toBe(true);
      }
      await expect(auditConsistencyProof(db.pool, [key], 5, RECORDS + 1)).rejects.toMatchObject({
        code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE',
      });
      await expect(auditConsistencyProof(db.pool, [key], 9, 8)).rejects.toMatchObject({
        code: 'MOD_ERR_AUDIT_LOG_OUT_OF_RANGE',
      });
    } finally {
      client.release();
    }
  });
});
