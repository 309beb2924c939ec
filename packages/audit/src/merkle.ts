/**
 * RFC 9162 section 2.1 Merkle tree algorithms (the Certificate Transparency v2 log tree), as pure functions.
 *
 * Tree sizes and indices are JavaScript numbers up to 2^53 - 1, so the bit tricks of the RFC are written
 * with `% 2` and `Math.floor(x / 2)` rather than 32-bit bitwise operators.
 */
import { createHash, hash as oneShotHash, timingSafeEqual } from 'node:crypto';
import { AuditError, AuditErrorCode } from './errors.js';

/** SHA-256 output size. */
export const HASH_BYTES = 32;

/** MTH({}) = SHA-256() : the root of the empty tree. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Leaf hash: SHA-256(0x00 || data). */
export function hashLeaf(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + data.length);
  input[0] = 0x00;
  input.set(data, 1);
  return oneShotHash('sha256', input, 'buffer');
}

const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);

/** Interior node hash: SHA-256(0x01 || left || right). Both inputs must be 32 bytes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  // One-shot crypto.hash over a reused 65-byte buffer: about 3x faster than createHash() on Node 20.
  nodeInput[0] = 0x01;
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_BYTES);
  return oneShotHash('sha256', nodeInput, 'buffer');
}

/**
 * A complete subtree: the 2^level leaves [index * 2^level, (index + 1) * 2^level). Level 0 nodes are leaves.
 * Every node a log ever needs (roots, proofs) is a fold of complete subtrees, so a store keeps only these.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * One element of a proof: the hash of a range of leaves, computed as a right-to-left fold of complete
 * subtrees (`foldNodes`). A single id when the range is itself a complete subtree.
 */
export type ProofElement = readonly NodeId[];

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, `${name} must be an integer >= 0, got ${n}`);
  }
}

/** Largest power of two strictly below n (n >= 2): the split point k of RFC 9162 section 2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Complete subtrees covering leaves [start, end), largest first. For the ranges that occur in RFC 9162
 * (a complete subtree, or a right edge [a, n) with a aligned) folding them right to left gives MTH(D[start:end]).
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  const ids: NodeId[] = [];
  let at = start;
  while (at < end) {
    let width = 1;
    let level = 0;
    while (width * 2 <= end - at && at % (width * 2) === 0) {
      width *= 2;
      level++;
    }
    ids.push({ level, index: at / width });
    at += width;
  }
  return ids;
}

/** Folds subtree hashes right to left: h(n0, h(n1, ... h(n_{k-2}, n_{k-1}))). */
export function foldNodes(hashes: readonly Uint8Array[]): Buffer {
  const last = hashes[hashes.length - 1];
  if (last === undefined) throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, 'cannot fold zero hashes');
  let acc: Buffer = Buffer.from(last);
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i] as Uint8Array, acc);
  return acc;
}

/** Nodes whose fold is the root of a tree of `size` leaves (its "peaks"); empty for size 0. */
export function rootPlan(size: number): ProofElement {
  checkSize('size', size);
  return rangeNodes(0, size);
}

/**
 * The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1, as the ranges to hash, leaf to root.
 * Needs at most ~2 log2(size) node reads; plan first so a database store can fetch them in one query.
 */
export function inclusionPlan(index: number, size: number): ProofElement[] {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size) {
    throw new AuditError(
      AuditErrorCode.INVALID_ARGUMENT,
      `leaf index ${index} is not below tree size ${size}`,
    );
  }
  const elements: ProofElement[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      elements.push(rangeNodes(start + k, end));
      end = start + k;
    } else {
      elements.push(rangeNodes(start, start + k));
      start += k;
    }
  }
  return elements.reverse();
}

/**
 * The consistency proof PROOF(size1, D[size2]) of RFC 9162 section 2.1.4.1 (SUBPROOF), as ranges to hash.
 * Empty when size1 is 0 or equals size2.
 */
export function consistencyPlan(size1: number, size2: number): ProofElement[] {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 > size2) {
    throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, `size1 ${size1} is greater than size2 ${size2}`);
  }
  if (size1 === 0 || size1 === size2) return [];
  const elements: ProofElement[] = [];
  let start = 0;
  let end = size2;
  let whole = true; // SUBPROOF's flag b: the old tree is a complete subtree the verifier already has.
  for (;;) {
    if (size1 === end) {
      if (!whole) elements.push(rangeNodes(start, end));
      break;
    }
    const k = splitPoint(end - start);
    if (size1 <= start + k) {
      elements.push(rangeNodes(start + k, end));
      end = start + k;
    } else {
      elements.push(rangeNodes(start, start + k));
      start += k;
      whole = false;
    }
  }
  return elements.reverse();
}

/** The distinct node ids a set of proof elements reads, in first-use order. */
export function planNodeIds(elements: readonly ProofElement[]): NodeId[] {
  const seen = new Set<string>();
  const ids: NodeId[] = [];
  for (const element of elements) {
    for (const id of element) {
      const key = `${id.level}:${id.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        ids.push(id);
      }
    }
  }
  return ids;
}

/** Turns planned elements into proof hashes, given a lookup of node hashes. */
export function assembleProof(
  elements: readonly ProofElement[],
  lookup: (id: NodeId) => Uint8Array,
): Buffer[] {
  return elements.map((element) => foldNodes(element.map(lookup)));
}

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_BYTES;
}

/** Constant-time equality of two 32-byte hashes; false for anything else. */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return isHash(a) && isHash(b) && timingSafeEqual(a, b);
}

const shift = (x: number): number => Math.floor(x / 2);
const isOdd = (x: number): boolean => x % 2 === 1;

/**
 * RFC 9162 section 2.1.3.2: the root an inclusion proof leads to, or null if the proof has the wrong shape
 * for (index, size) or holds something other than 32-byte hashes.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer | null {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size || !isHash(leafHash) || !proof.every(isHash)) return null;
  let r: Buffer = Buffer.from(leafHash);
  const reachesRoot = walkProof(index, size - 1, proof, (p, left) => {
    r = left ? hashChildren(p, r) : hashChildren(r, p);
  });
  return reachesRoot ? r : null;
}

/** RFC 9162 section 2.1.3.2: true iff `proof` shows leaf `index` with `leafHash` is in the tree with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== null && hashesEqual(computed, root);
}

/**
 * RFC 9162 section 2.1.4.2: true iff `proof` shows the tree (size1, root1) is a prefix of (size2, root2).
 * Edge cases as RFC 9162 implies them: equal sizes need an empty proof and equal roots; size1 = 0 needs an
 * empty proof and root1 = EMPTY_ROOT.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  checkSize('size1', size1);
  checkSize('size2', size2);
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && hashesEqual(root1, root2);
  if (size1 === 0) return proof.length === 0 && hashesEqual(root1, EMPTY_ROOT) && isHash(root2);
  if (proof.length === 0 || !proof.every(isHash)) return false;
  // Step 2: when size1 is a power of two, the old root is itself the first node of the path.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = shift(fn);
    sn = shift(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr = fr;
  const reachesRoot = walkProof(fn, sn, path.slice(1), (c, left) => {
    if (left) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
    } else {
      sr = hashChildren(sr, c);
    }
  });
  return reachesRoot && hashesEqual(fr, root1) && hashesEqual(sr, root2);
}

/**
 * The walk along a proof's path that RFC 9162 sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency) share,
 * from fn and sn: each node `c` is visited as a left sibling (`left`: LSB(fn) set or fn = sn, after which fn and
 * sn drop their low zero bits together) or a right one; fn and sn then shift right. True iff the walk ends at
 * the root (sn = 0) without reaching it before the path's end.
 */
function walkProof(
  fn: number,
  sn: number,
  path: readonly Uint8Array[],
  visit: (c: Uint8Array, left: boolean) => void,
): boolean {
  for (const c of path) {
    if (sn === 0) return false;
    const left = isOdd(fn) || fn === sn;
    visit(c, left);
    if (left) {
      while (!isOdd(fn) && fn !== 0) {
        fn = shift(fn);
        sn = shift(sn);
      }
    }
    fn = shift(fn);
    sn = shift(sn);
  }
  return sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a lowercase or uppercase hex string; null if it is not even-length hex. */
export function fromHex(hex: string): Buffer | null {
  return /^(?:[0-9a-fA-F]{2})*$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}
