import { describe, expect, it } from 'vitest';
import { hashLeaf } from './merkle.js';
import { computeAppendNodes, createMemoryMerkleStore, peakIds } from './store.js';

const leaf = (i: number): Buffer => hashLeaf(Buffer.from([i]));

describe('memory MerkleStore', () => {
  it('stores each leaf and each completed subtree once, in index order per level', async () => {
    const store = createMemoryMerkleStore({ initialCapacityLeaves: 1 });
    const nodes = computeAppendNodes(0, [], [0, 1, 2, 3, 4].map(leaf));
    expect(nodes.map((n) => `${n.level}:${n.index}`)).toEqual([
      '0:0',
      '0:1',
      '1:0',
      '0:2',
      '0:3',
      '1:1',
      '2:0',
      '0:4',
    ]);
    await store.putNodes(nodes, 0, 5);
    expect(await store.size()).toBe(5);
    expect(peakIds(5)).toEqual([
      { level: 2, index: 0 },
      { level: 0, index: 4 },
    ]);
    const [leaf3] = await store.getLeafHashes(3, 4);
    expect(Buffer.from(leaf3 ?? []).equals(leaf(3))).toBe(true);
  });

  it('rejects a stale size as a retriable conflict and leaves the store unchanged', async () => {
    const store = createMemoryMerkleStore();
    await store.putNodes(computeAppendNodes(0, [], [leaf(0)]), 0, 1);
    await expect(store.putNodes(computeAppendNodes(0, [], [leaf(9)]), 0, 1)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_STORE_CONFLICT',
      retriable: true,
    });
    await expect(store.putNodes([{ level: 0, index: 5, hash: leaf(5) }], 1, 2)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_INVALID_ARGUMENT',
    });
    expect(await store.size()).toBe(1);
    await expect(store.getNodes([{ level: 1, index: 0 }])).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_STORE_MISSING_NODE',
    });
  });

  it('refuses peaks that do not fit the size', () => {
    expect(() => computeAppendNodes(3, [leaf(0)], [leaf(1)])).toThrow(/has 2 peaks/);
  });
});
