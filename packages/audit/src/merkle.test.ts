import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  consistencyPlan,
  hashChildren,
  hashLeaf,
  inclusionPlan,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { createMemoryMerkleStore } from './store.js';
import { createMerkleTree } from './tree.js';
import type { MerkleTree } from './tree.js';
import { codeOf } from './code-of.test-helper.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const hexes = (list: readonly string[]): Buffer[] => list.map(hex);

/*
 * Published RFC 6962 / RFC 9162 test vectors: the 8-leaf tree used by Certificate Transparency
 * implementations. Source (data only): github.com/transparency-dev/merkle, files `testonly/constants.go`
 * (LeafInputs, NodeHashes, RootHashes) and `proof/verify_test.go` (inclusionProofs, consistencyProofs);
 * the same vectors appear in google/certificate-transparency-go `merkle`. There, inclusion vectors name the
 * leaf 1-based (`{leaf: 1, size: 8}` is leaf index 0); here indices are 0-based.
 */
const VECTOR_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const VECTOR_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const VECTOR_LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
const VECTOR_LEVEL1 = [
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
];
const VECTOR_LEVEL2 = [
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];
/** The vectors' node hash at `level` (0: the leaves, then VECTOR_LEVEL1, VECTOR_LEVEL2) and position `i`. */
const node = (level: 0 | 1 | 2, i: number): string => {
  const hash = [VECTOR_LEAF_HASHES, VECTOR_LEVEL1, VECTOR_LEVEL2][level]?.[i];
  if (hash === undefined) throw new Error('fixture');
  return hash;
};
/** The published proofs: each is a list of the tree's node hashes, named here by level and position. */
const VECTOR_INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 8, proof: [node(0, 1), node(1, 1), node(2, 1)] },
  { index: 5, size: 8, proof: [node(0, 4), node(1, 3), node(2, 0)] },
  { index: 2, size: 3, proof: [node(1, 0)] },
  { index: 1, size: 5, proof: [node(0, 0), node(1, 1), node(0, 4)] },
];
const VECTOR_CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  { size1: 1, size2: 8, proof: [node(0, 1), node(1, 1), node(2, 1)] },
  { size1: 6, size2: 8, proof: [node(1, 2), node(1, 3), node(2, 0)] },
  { size1: 2, size2: 5, proof: [node(1, 1), node(0, 4)] },
  { size1: 6, size2: 7, proof: [node(1, 2), node(0, 6), node(2, 0)] },
];

/* Naive reference: the recursive definitions of RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1 over an array of leaf hashes. */
function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}
function naiveMth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return d[0] as Buffer;
  const s = k(d.length);
  return hashChildren(naiveMth(d.slice(0, s)), naiveMth(d.slice(s)));
}
function naivePath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s
    ? [...naivePath(m, d.slice(0, s)), naiveMth(d.slice(s))]
    : [...naivePath(m - s, d.slice(s)), naiveMth(d.slice(0, s))];
}
function naiveSubproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [naiveMth(d)];
  const s = k(d.length);
  return m <= s
    ? [...naiveSubproof(m, d.slice(0, s), b), naiveMth(d.slice(s))]
    : [...naiveSubproof(m - s, d.slice(s), false), naiveMth(d.slice(0, s))];
}
function naiveConsistency(m: number, d: readonly Buffer[]): Buffer[] {
  return m === 0 || m === d.length ? [] : naiveSubproof(m, d, true);
}

function flipBit(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at);
}

const toHexList = (list: readonly Uint8Array[]): string[] => list.map((b) => Buffer.from(b).toString('hex'));

async function vectorTree(): Promise<MerkleTree> {
  const tree = createMerkleTree(createMemoryMerkleStore({ initialCapacityLeaves: 2 }));
  for (const leaf of VECTOR_LEAVES) await tree.appendLeafHashes([hashLeaf(hex(leaf))]);
  return tree;
}

describe('RFC 6962/9162 published vectors', () => {
  it('leaf hashes and the empty root', () => {
    expect(VECTOR_LEAVES.map((l) => hashLeaf(hex(l)).toString('hex'))).toEqual(VECTOR_LEAF_HASHES);
    expect(EMPTY_ROOT.toString('hex')).toBe(VECTOR_ROOTS[0]);
  });

  it('roots of every prefix, and the stored complete-subtree hashes', async () => {
    const tree = await vectorTree();
    for (let n = 0; n <= 8; n++) expect((await tree.root(n)).toString('hex')).toBe(VECTOR_ROOTS[n]);
    expect(toHexList(await tree.leafHashes(0, 8))).toEqual(VECTOR_LEAF_HASHES);
    // Level 1 and 2 nodes are the roots of the aligned 2- and 4-leaf subtrees; prove they are stored as such.
    for (let i = 0; i < 4; i++) {
      const l = hex(VECTOR_LEAF_HASHES[2 * i] as string);
      const r = hex(VECTOR_LEAF_HASHES[2 * i + 1] as string);
      expect(hashChildren(l, r).toString('hex')).toBe(VECTOR_LEVEL1[i]);
    }
    expect(
      hashChildren(hex(VECTOR_LEVEL1[2] as string), hex(VECTOR_LEVEL1[3] as string)).toString('hex'),
    ).toBe(VECTOR_LEVEL2[1]);
  });

  it.each(VECTOR_INCLUSION)(
    'inclusion proof of leaf $index in size $size',
    async ({ index, size, proof }) => {
      const tree = await vectorTree();
      expect(toHexList(await tree.inclusionProof(index, size))).toEqual(proof);
      const leaf = hex(VECTOR_LEAF_HASHES[index] as string);
      const root = hex(VECTOR_ROOTS[size] as string);
      expect(verifyInclusion(index, size, leaf, hexes(proof), root)).toBe(true);
      // Corruptions in the style of the published verifier tests: every one must fail.
      const bad: [number, number, Buffer, Buffer[], Buffer][] = [
        [index + 1, size, leaf, hexes(proof), root],
        [index, size * 2, leaf, hexes(proof), root],
        [index, size, hashLeaf(Buffer.from('WrongLeaf')), hexes(proof), root],
        [index, size, leaf, hexes(proof), EMPTY_ROOT],
        [index, size, leaf, [...hexes(proof), root], root],
        [index, size, leaf, [root, ...hexes(proof)], root],
      ];
      if (index > 0) bad.push([index - 1, size, leaf, hexes(proof), root]);
      if (size > 1) bad.push([index, Math.floor(size / 2), leaf, hexes(proof), root]);
      if (proof.length > 0) bad.push([index, size, leaf, hexes(proof).slice(0, -1), root]);
      proof.forEach((_, i) => {
        const flipped = hexes(proof);
        flipBit(flipped[i] as Buffer, 0, 8);
        bad.push([index, size, leaf, flipped, root]);
      });
      for (const args of bad) expect(verifyInclusion(...args)).toBe(false);
    },
  );

  it.each(VECTOR_CONSISTENCY)('consistency proof $size1 -> $size2', async ({ size1, size2, proof }) => {
    const tree = await vectorTree();
    expect(toHexList(await tree.consistencyProof(size1, size2))).toEqual(proof);
    const r1 = hex(VECTOR_ROOTS[size1] as string);
    const r2 = hex(VECTOR_ROOTS[size2] as string);
    expect(verifyConsistency(size1, size2, r1, r2, hexes(proof))).toBe(true);
    if (proof.length === 0) return;
    const bad: [number, number, Buffer, Buffer, Buffer[]][] = [
      [size1 - 1, size2, r1, r2, hexes(proof)],
      [size1 + 1, size2, r1, r2, hexes(proof)],
      [size1, size2 * 2, r1, r2, hexes(proof)],
      [size1, size2, r2, r1, hexes(proof)],
      [size1, size2, r1, r2, []],
      [size1, size2, r1, r2, [...hexes(proof), r2]],
      [size1, size2, r1, r2, [r1, ...hexes(proof)]],
      [size1, size2, r1, r2, hexes(proof).slice(0, -1)],
    ];
    proof.forEach((_, i) => {
      const flipped = hexes(proof);
      flipBit(flipped[i] as Buffer, 0, 16);
      bad.push([size1, size2, r1, r2, flipped]);
    });
    for (const args of bad) expect(verifyConsistency(...args)).toBe(false);
  });
});

describe('against the naive recursive definitions, every size up to 70', () => {
  const MAX = 70;
  const leaves = Array.from({ length: MAX }, (_, i) => hashLeaf(Buffer.from(`leaf-${i}`)));

  // Irregular batches exercise computeAppendNodes across batch boundaries at every alignment.
  async function batchedTree(): Promise<MerkleTree> {
    const tree = createMerkleTree(createMemoryMerkleStore({ initialCapacityLeaves: 1 }));
    let at = 0;
    for (const batch of [1, 2, 3, 5, 8, 13, 1, 1, 16, 20]) {
      await tree.appendLeafHashes(leaves.slice(at, at + batch));
      at += batch;
    }
    expect(at).toBe(MAX);
    return tree;
  }

  it('roots', async () => {
    const tree = await batchedTree();
    for (let n = 0; n <= MAX; n++)
      expect((await tree.root(n)).equals(naiveMth(leaves.slice(0, n)))).toBe(true);
  });

  it('inclusion proofs for every (index, size): generated equal naive, verify, and fail when wrong', async () => {
    const tree = await batchedTree();
    for (let n = 1; n <= MAX; n++) {
      const d = leaves.slice(0, n);
      const root = naiveMth(d);
      for (let m = 0; m < n; m++) {
        const proof = await tree.inclusionProof(m, n);
        expect(toHexList(proof)).toEqual(toHexList(naivePath(m, d)));
        expect(verifyInclusion(m, n, leaves[m] as Buffer, proof, root)).toBe(true);
        expect(verifyInclusion(m, n, leaves[(m + 1) % n] as Buffer, proof, root)).toBe(n === 1);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, leaves[m] as Buffer, proof, root)).toBe(false);
        if (n < MAX)
          expect(
            verifyInclusion(m, n + 1, leaves[m] as Buffer, proof, naiveMth(leaves.slice(0, n + 1))),
          ).toBe(false);
        expect(rootFromInclusionProof(m, n, leaves[m] as Buffer, proof)?.equals(root)).toBe(true);
      }
    }
  });

  it('consistency proofs for every (size1, size2): generated equal naive, verify, and fail when wrong', async () => {
    const tree = await batchedTree();
    const roots = Array.from({ length: MAX + 1 }, (_, n) => naiveMth(leaves.slice(0, n)));
    for (let n = 0; n <= MAX; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = await tree.consistencyProof(m, n);
        expect(toHexList(proof)).toEqual(toHexList(naiveConsistency(m, leaves.slice(0, n))));
        const r1 = roots[m] as Buffer;
        const r2 = roots[n] as Buffer;
        expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, r1, roots[n - 1] as Buffer, proof)).toBe(false);
          expect(verifyConsistency(m, n, roots[m - 1] as Buffer, r2, proof)).toBe(false);
          const flipped = proof.map((p) => Buffer.from(p));
          flipBit(flipped[flipped.length - 1] as Buffer, 31, 1);
          expect(verifyConsistency(m, n, r1, r2, flipped)).toBe(false);
        }
      }
    }
  });

  it('proof plans read O(log n) nodes', () => {
    const n = 10_000_000;
    for (const m of [0, 1, 4_999_999, 9_999_998, 9_999_999]) {
      const reads = inclusionPlan(m, n).reduce((sum, e) => sum + e.length, 0);
      expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    }
    const reads = consistencyPlan(3_333_333, n).reduce((sum, e) => sum + e.length, 0);
    expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
  });
});

describe('argument checks', () => {
  it('rejects out-of-range proofs with a typed error', async () => {
    const tree = await vectorTree();
    await expect(tree.inclusionProof(8, 8)).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_INVALID_ARGUMENT' });
    await expect(tree.inclusionProof(0, 9)).rejects.toMatchObject({ code: 'MOD_ERR_AUDIT_INVALID_ARGUMENT' });
    await expect(tree.consistencyProof(5, 3)).rejects.toMatchObject({
      code: 'MOD_ERR_AUDIT_INVALID_ARGUMENT',
    });
    expect(codeOf(() => inclusionPlan(-1, 3))).toBe('MOD_ERR_AUDIT_INVALID_ARGUMENT');
  });

  it('verifiers answer false, not throw, for malformed hashes', () => {
    const leaf = hashLeaf(Buffer.from('x'));
    expect(verifyInclusion(0, 1, leaf, [], Buffer.alloc(3))).toBe(false);
    expect(verifyInclusion(0, 2, leaf, [Buffer.alloc(31)], leaf)).toBe(false);
    expect(verifyConsistency(1, 2, leaf, leaf, [Buffer.alloc(5)])).toBe(false);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, leaf, [])).toBe(true);
    expect(verifyConsistency(0, 5, leaf, leaf, [])).toBe(false);
  });
});
