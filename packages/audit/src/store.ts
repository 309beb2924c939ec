import { AuditError, AuditErrorCode } from './errors.js';
import { HASH_BYTES, hashChildren, rangeNodes } from './merkle.js';
import type { NodeId } from './merkle.js';

/** A complete-subtree hash to persist. */
export interface StoredNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/**
 * Where a log keeps its Merkle tree: the hash of every complete subtree, addressed by (level, index).
 * A tree of n leaves holds fewer than 2n nodes; every root and proof is a fold of O(log n) of them, so
 * proofs cost O(log n) reads (one `getNodes` call). Append-only: nodes are written once, never changed.
 *
 * Implementations: `createMemoryMerkleStore` here; a Postgres one (table of (level, index, hash) plus a
 * one-row size) elsewhere. Appends must be serialised by the caller or rejected by `putNodes`'s size check.
 */
export interface MerkleStore {
  /** Number of leaves appended so far. */
  size(): Promise<number>;
  /**
   * Hashes of the given complete subtrees, in the order asked. Level 0 holds leaf hashes. Throws
   * MOD_ERR_AUDIT_STORE_MISSING_NODE if any is absent.
   */
  getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
  /** Leaf hashes [start, end), in order; end <= size(). */
  getLeafHashes(start: number, end: number): Promise<Uint8Array[]>;
  /**
   * Atomically stores `nodes` (leaves and newly completed subtrees, from `computeAppendNodes`) and moves the
   * size from `fromSize` to `toSize`. Throws MOD_ERR_AUDIT_STORE_CONFLICT (retriable) if the size is no longer
   * `fromSize`, which is what makes concurrent appenders safe.
   */
  putNodes(nodes: readonly StoredNode[], fromSize: number, toSize: number): Promise<void>;
}

/** The ids of the peaks of a tree of `size` leaves: what `computeAppendNodes` needs to continue it. */
export function peakIds(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/**
 * Pure core of an append: given the current size, its peaks' hashes (in `peakIds(size)` order) and new leaf
 * hashes, returns every node to store: each leaf and each subtree it completes, level by level in index
 * order. O(1) amortised hashes per leaf (at most one interior hash per leaf on average).
 */
export function computeAppendNodes(
  size: number,
  peaks: readonly Uint8Array[],
  leafHashes: readonly Uint8Array[],
): StoredNode[] {
  const ids = peakIds(size);
  if (ids.length !== peaks.length) {
    throw new AuditError(
      AuditErrorCode.INVALID_ARGUMENT,
      `a tree of ${size} leaves has ${ids.length} peaks, got ${peaks.length}`,
    );
  }
  // pending[level] = hash of the incomplete right edge's left sibling waiting at that level.
  const pending: (Uint8Array | undefined)[] = [];
  ids.forEach((id, i) => {
    pending[id.level] = peaks[i];
  });
  const nodes: StoredNode[] = [];
  let index = size;
  for (const leaf of leafHashes) {
    if (leaf.length !== HASH_BYTES) {
      throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, `leaf hash must be ${HASH_BYTES} bytes`);
    }
    nodes.push({ level: 0, index, hash: leaf });
    let hash: Uint8Array = leaf;
    let level = 0;
    let at = index;
    while (at % 2 === 1) {
      const left = pending[level];
      if (left === undefined)
        throw new AuditError(AuditErrorCode.STORE_MISSING_NODE, `no peak at level ${level}`);
      pending[level] = undefined;
      hash = hashChildren(left, hash);
      level++;
      at = (at - 1) / 2;
      nodes.push({ level, index: at, hash });
    }
    pending[level] = hash;
    index++;
  }
  return nodes;
}

/** Options of `createMemoryMerkleStore`. */
export interface MemoryMerkleStoreOptions {
  /** Leaves to reserve room for up front, avoiding regrowth copies (default 1024). */
  initialCapacityLeaves?: number;
}

/**
 * A `MerkleStore` in memory: one flat byte array per level (32 bytes per node, no per-node objects), grown by
 * doubling. 10M leaves take about 640 MB (leaves 320 MB + interior nodes 320 MB).
 */
export function createMemoryMerkleStore(options: MemoryMerkleStoreOptions = {}): MerkleStore {
  const initial = Math.max(1, options.initialCapacityLeaves ?? 1024);
  const levels: Buffer[] = [];
  const counts: number[] = [];
  let leaves = 0;

  const levelBuffer = (level: number): Buffer => {
    let buf = levels[level];
    if (buf === undefined) {
      buf = Buffer.alloc(Math.max(1, Math.ceil(initial / 2 ** level)) * HASH_BYTES);
      levels[level] = buf;
      counts[level] = 0;
    }
    return buf;
  };

  const read = (level: number, index: number): Uint8Array => {
    const count = counts[level] ?? 0;
    const buf = levels[level];
    if (buf === undefined || !Number.isSafeInteger(index) || index < 0 || index >= count) {
      throw new AuditError(AuditErrorCode.STORE_MISSING_NODE, `no node at level ${level} index ${index}`);
    }
    return Buffer.from(buf.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES));
  };

  return {
    size: () => Promise.resolve(leaves),
    getNodes: (ids) => {
      try {
        return Promise.resolve(ids.map((id) => read(id.level, id.index)));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    getLeafHashes: (start, end) => {
      try {
        const out: Uint8Array[] = [];
        for (let i = start; i < end; i++) out.push(read(0, i));
        return Promise.resolve(out);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    putNodes: (nodes, fromSize, toSize) => {
      if (fromSize !== leaves) {
        return Promise.reject(
          new AuditError(AuditErrorCode.STORE_CONFLICT, `size is ${leaves}, not ${fromSize}`, {
            retriable: true,
          }),
        );
      }
      // Validate everything before writing anything, so a bad batch leaves the store unchanged.
      const next = [...counts];
      for (const node of nodes) {
        if (node.index !== (next[node.level] ?? 0) || node.hash.length !== HASH_BYTES) {
          return Promise.reject(
            new AuditError(
              AuditErrorCode.INVALID_ARGUMENT,
              `node (${node.level}, ${node.index}) is not the next append at its level`,
            ),
          );
        }
        next[node.level] = node.index + 1;
      }
      if ((next[0] ?? 0) !== toSize) {
        return Promise.reject(
          new AuditError(
            AuditErrorCode.INVALID_ARGUMENT,
            `nodes bring the size to ${next[0] ?? 0}, not ${toSize}`,
          ),
        );
      }
      for (const node of nodes) {
        let buf = levelBuffer(node.level);
        const count = counts[node.level] ?? 0;
        if ((count + 1) * HASH_BYTES > buf.length) {
          const grown = Buffer.alloc(buf.length * 2);
          buf.copy(grown, 0, 0, count * HASH_BYTES);
          levels[node.level] = grown;
          buf = grown;
        }
        buf.set(node.hash, count * HASH_BYTES);
        counts[node.level] = count + 1;
      }
      leaves = toSize;
      return Promise.resolve();
    },
  };
}
