import { AuditError, AuditErrorCode } from '@mod/audit';
import type { MerkleStore, NodeId } from '@mod/audit';
import type { Queryable } from './pool.js';

/** Upper-level nodes held at most (about 2 MiB of hashes); the lowest cached level rises as the log grows. */
const DEFAULT_MAX_NODES = 1 << 16;
/** Never cache below this level: the nodes near a leaf are read together from one index range anyway. */
const FLOOR_LEVEL = 4;

/**
 * The upper levels of a log's Merkle tree, held in memory for the proofs a process serves.
 *
 * Every proof and root in a tree of n leaves reads one node per level, and the upper levels are shared:
 * at 10M leaves, the nodes of levels ≥ 10 are 20K hashes (640 KB), yet they are 14 of a proof's ~24 reads,
 * each in a different index page. Held here, a proof reads from Postgres only the nodes of the lowest
 * levels, which sit next to each other in `audit_merkle_nodes_by_position`, so it touches a few pages
 * instead of dozens (measured in `bench/src/audit-pg.ts`).
 *
 * Stored nodes are complete subtrees and never change, so the cache holds, per level ≥ `minLevel`, the
 * hashes of nodes [0, ⌊size / 2^level⌋) for the largest `size` it was asked to cover, and grows by reading
 * only the nodes that size added. Only committed data may be cached: `cover` must be given a size that is
 * committed (a signed head's size, or the committed tree size), read through a pool rather than inside a
 * transaction that might roll back. Served proofs then stay correct against the signed heads even if the
 * database owner later altered a cached node; verifying the stored log (`verifyStoredLog`) reads the
 * table itself and reports such a change.
 */
export class MerkleNodeCache {
  private minLevel = FLOOR_LEVEL;
  /** levels[l][i]: hash of node (l, i), for l ≥ minLevel. */
  private levels: Uint8Array[][] = [];
  private covered = 0;
  private growing: Promise<void> = Promise.resolve();

  constructor(private readonly maxNodes = DEFAULT_MAX_NODES) {}

  /** The tree size whose upper nodes are all held. */
  get coveredSize(): number {
    return this.covered;
  }

  /** Number of hashes held. */
  get nodeCount(): number {
    return this.levels.reduce((n, level) => n + (level?.length ?? 0), 0);
  }

  /**
   * Makes every node of level ≥ `minLevel` in the tree of `size` (committed) leaves available, reading only
   * what is missing: one query, or none when `size` is covered already. Concurrent calls queue.
   */
  cover(db: Queryable, size: number): Promise<void> {
    const run = this.growing.then(() => this.grow(db, size));
    this.growing = run.catch(() => undefined);
    return run;
  }

  private async grow(db: Queryable, size: number): Promise<void> {
    if (size <= this.covered) return;
    // Raise the lowest level until the whole cache fits maxNodes (a tree of n leaves has ~2n / 2^l nodes at
    // levels ≥ l); the levels given up are dropped once the read succeeded.
    let minLevel = this.minLevel;
    while ((2 * size) / 2 ** minLevel > this.maxNodes) minLevel++;

    const wanted: { level: number; from: number; to: number }[] = [];
    for (let level = minLevel; 2 ** level <= size; level++) {
      const have = this.levels[level]?.length ?? 0;
      const want = Math.floor(size / 2 ** level);
      if (want > have) wanted.push({ level, from: have, to: want });
    }
    if (wanted.length > 0) {
      const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
        // One primary-key range scan per level: the lateral subquery's limit keeps the planner from turning
        // it into a join, which it plans as a scan of the whole table.
        `/* audit:cache-upper-nodes */ select q.level, n.idx, n.hash
         from unnest($1::smallint[], $2::bigint[], $3::bigint[]) as q(level, lo, hi)
         cross join lateral (
           select idx, hash from audit_merkle_nodes
           where level = q.level and idx >= q.lo and idx < q.hi
           order by idx limit q.hi - q.lo
         ) as n`,
        [wanted.map((w) => w.level), wanted.map((w) => w.from), wanted.map((w) => w.to)],
      );
      // Place every row, check that nothing is missing, then add: a gap leaves the cache as it was.
      const read = new Map(
        wanted.map((w) => [w.level, { ...w, hashes: new Array<Uint8Array>(w.to - w.from) }]),
      );
      for (const r of rows) {
        const w = read.get(r.level) as { from: number; hashes: Uint8Array[] };
        w.hashes[r.idx - w.from] = r.hash;
      }
      for (const w of read.values()) {
        const gap = w.hashes.findIndex((hash) => hash === undefined);
        if (gap >= 0) {
          throw new AuditError(
            AuditErrorCode.STORE_MISSING_NODE,
            `audit tree node (${w.level}, ${w.from + gap}) missing`,
          );
        }
      }
      for (const w of read.values()) {
        const level = (this.levels[w.level] ??= []);
        for (const hash of w.hashes) level.push(hash);
      }
    }
    for (let l = this.minLevel; l < minLevel; l++) this.levels[l] = [];
    this.minLevel = minLevel;
    this.covered = size;
  }

  /** The hash of `id` if held. */
  get(id: NodeId): Uint8Array | undefined {
    return id.level >= this.minLevel ? this.levels[id.level]?.[id.index] : undefined;
  }

  /**
   * `store` with `getNodes` answered from this cache where it can: the rest is one read from `store`.
   * Everything else goes to `store` unchanged.
   */
  over(store: MerkleStore): MerkleStore {
    return {
      ...store,
      getNodes: async (ids) => {
        const out: (Uint8Array | undefined)[] = ids.map((id) => this.get(id));
        const missing = ids.filter((_, i) => out[i] === undefined);
        if (missing.length === 0) return out as Uint8Array[];
        const read = await store.getNodes(missing);
        let next = 0;
        return out.map((hash) => hash ?? (read[next++] as Uint8Array));
      },
    };
  }
}
