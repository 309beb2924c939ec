import { AuditError, AuditErrorCode } from './errors.js';
import {
  EMPTY_ROOT,
  assembleProof,
  consistencyPlan,
  foldNodes,
  inclusionPlan,
  planNodeIds,
  rootPlan,
} from './merkle.js';
import type { NodeId, ProofElement } from './merkle.js';
import { computeAppendNodes, peakIds } from './store.js';
import type { MerkleStore } from './store.js';

/** An RFC 9162 log tree over a `MerkleStore`: appends, roots and proofs for any past size. */
export interface MerkleTree {
  size(): Promise<number>;
  /**
   * Appends leaf hashes as one batch (one peak read, one `putNodes` write). Returns the index of the first
   * new leaf and the new size.
   */
  appendLeafHashes(leafHashes: readonly Uint8Array[]): Promise<{ firstIndex: number; size: number }>;
  /** Leaf hashes [start, end) as stored at append time. */
  leafHashes(start: number, end: number): Promise<Uint8Array[]>;
  /** MTH of the first `size` leaves (default: the whole tree). */
  root(size?: number): Promise<Buffer>;
  /** RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number): Promise<Buffer[]>;
  /** RFC 9162 consistency proof between the trees of `size1` and `size2` leaves. */
  consistencyProof(size1: number, size2: number): Promise<Buffer[]>;
}

/**
 * Builds a `MerkleTree` over `store`. Appends through one tree object are queued, so they never race each
 * other; appends from several processes are kept safe by `putNodes`'s size check (retry on STORE_CONFLICT).
 */
export function createMerkleTree(store: MerkleStore): MerkleTree {
  let queue: Promise<unknown> = Promise.resolve();

  async function requireSize(size: number): Promise<void> {
    const current = await store.size();
    if (size > current) {
      throw new AuditError(
        AuditErrorCode.INVALID_ARGUMENT,
        `tree size ${size} is beyond the log's ${current}`,
      );
    }
  }

  async function resolve(elements: readonly ProofElement[]): Promise<Buffer[]> {
    return assembleProof(elements, await readPlanNodes(store, elements));
  }

  async function append(leafHashes: readonly Uint8Array[]): Promise<{ firstIndex: number; size: number }> {
    const size = await store.size();
    if (leafHashes.length === 0) return { firstIndex: size, size };
    const peaks = await store.getNodes(peakIds(size));
    const nodes = computeAppendNodes(size, peaks, leafHashes);
    await store.putNodes(nodes, size, size + leafHashes.length);
    return { firstIndex: size, size: size + leafHashes.length };
  }

  return {
    size: () => store.size(),
    async leafHashes(start, end) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end) {
        throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, `bad leaf range [${start}, ${end})`);
      }
      await requireSize(end);
      return store.getLeafHashes(start, end);
    },
    appendLeafHashes(leafHashes) {
      const run = queue.then(() => append(leafHashes));
      queue = run.catch(() => undefined);
      return run;
    },
    async root(size) {
      const n = size ?? (await store.size());
      await requireSize(n);
      if (n === 0) return Buffer.from(EMPTY_ROOT);
      return foldNodes(await store.getNodes(rootPlan(n)));
    },
    async inclusionProof(index, size) {
      const plan = inclusionPlan(index, size);
      await requireSize(size);
      return resolve(plan);
    },
    async consistencyProof(size1, size2) {
      const plan = consistencyPlan(size1, size2);
      await requireSize(size2);
      return resolve(plan);
    },
  };
}

/**
 * Reads every node that `elements` (proof, root or other plans) need with one `getNodes` call, and returns a
 * lookup of their hashes; looking up a node outside the plans is MOD_ERR_AUDIT_STORE_MISSING_NODE.
 */
export async function readPlanNodes(
  store: MerkleStore,
  elements: readonly ProofElement[],
): Promise<(id: NodeId) => Uint8Array> {
  const ids = planNodeIds(elements);
  const hashes = await store.getNodes(ids);
  const byId = new Map<string, Uint8Array>();
  ids.forEach((id, i) => byId.set(key(id), hashes[i] as Uint8Array));
  return (id) => {
    const hash = byId.get(key(id));
    if (hash === undefined)
      throw new AuditError(AuditErrorCode.STORE_MISSING_NODE, `node ${key(id)} missing`);
    return hash;
  };
}

function key(id: NodeId): string {
  return `${id.level}:${id.index}`;
}
