import { AuditError, AuditErrorCode, peakIds } from '@mod/audit';
import type { MerkleStore, NodeId, StoredNode } from '@mod/audit';
import type { Queryable } from './pool.js';

/** Node ids per `getNodes` query: keeps parameter arrays moderate for very large bundle exports. */
const NODES_PER_QUERY = 20_000;

/**
 * A `MerkleStore` over Postgres: `audit_merkle_nodes(level, idx, hash)` plus the one-row `audit_tree_size`.
 * Reads are one indexed query each (`getNodes` fetches a whole proof plan at once: O(log n) rows, an index-only
 * scan of `audit_merkle_nodes_by_position`, which keeps the nodes around a leaf in the same few pages).
 * `putNodes` is one statement: the size moves by compare-and-set and the nodes are inserted only if it
 * did, so it is atomic even outside a transaction and two appenders can never both win
 * (the loser gets MOD_ERR_AUDIT_STORE_CONFLICT, retriable).
 */
export function createPgMerkleStore(db: Queryable): MerkleStore {
  return {
    async size() {
      const { rows } = await db.query<{ size: number }>(`/* audit:size */ select size from audit_tree_size`);
      return rows[0]?.size ?? 0;
    },

    async getNodes(ids: readonly NodeId[]) {
      const byKey = new Map<string, Uint8Array>();
      for (let at = 0; at < ids.length; at += NODES_PER_QUERY) {
        const chunk = ids.slice(at, at + NODES_PER_QUERY);
        const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
          `/* audit:get-nodes */ select n.level, n.idx, n.hash
           from unnest($1::smallint[], $2::bigint[]) as q(level, idx)
           join audit_merkle_nodes n on (n.idx << n.level) = (q.idx << q.level) and n.level = q.level`,
          [chunk.map((id) => id.level), chunk.map((id) => id.index)],
        );
        for (const r of rows) byKey.set(`${r.level}:${r.idx}`, r.hash);
      }
      return ids.map((id) => {
        const hash = byKey.get(`${id.level}:${id.index}`);
        if (hash === undefined) {
          throw new AuditError(
            AuditErrorCode.STORE_MISSING_NODE,
            `audit tree node (${id.level}, ${id.index}) missing`,
          );
        }
        return hash;
      });
    },

    async getLeafHashes(start: number, end: number) {
      const { rows } = await db.query<{ idx: number; hash: Buffer }>(
        `/* audit:leaf-hashes */ select idx, hash from audit_merkle_nodes
         where level = 0 and idx >= $1 and idx < $2 order by idx`,
        [start, end],
      );
      const out: Uint8Array[] = [];
      for (let i = 0; i < end - start; i++) {
        const row = rows[i];
        if (row?.idx !== start + i) {
          throw new AuditError(AuditErrorCode.STORE_MISSING_NODE, `audit leaf ${start + i} missing`);
        }
        out.push(row.hash);
      }
      return out;
    },

    putNodes: (nodes: readonly StoredNode[], fromSize: number, toSize: number) =>
      putNodesWith(db, nodes, fromSize, toSize),
  };
}

/**
 * The tree's right edge in one query: its size and its peaks' hashes (in `peakIds(size)` order), what an append
 * starts from (`size` then `getNodes(peakIds(size))`, one round trip fewer). The peaks are the perfect subtrees
 * covering [0, size): one per bit b set in size, at level b and index (size >> (b + 1)) << 1.
 */
export async function readTreeEdge(db: Queryable): Promise<{ size: number; peaks: Uint8Array[] }> {
  const { rows } = await db.query<{
    size: number;
    level: number | null;
    idx: number | null;
    hash: Buffer | null;
  }>(
    `/* audit:edge */ select s.size, n.level, n.idx, n.hash
     from audit_tree_size s
     left join lateral (
       select b as level, (s.size >> (b + 1)) << 1 as idx from generate_series(0, 62) as b where (s.size >> b) & 1 = 1
     ) q on true
     left join audit_merkle_nodes n on (n.idx << n.level) = (q.idx << q.level) and n.level = q.level`,
  );
  const size = rows[0]?.size ?? 0;
  const byKey = new Map<string, Uint8Array>();
  for (const r of rows) if (r.hash !== null) byKey.set(`${r.level}:${r.idx}`, r.hash);
  const peaks = peakIds(size).map((id) => {
    const hash = byKey.get(`${id.level}:${id.index}`);
    if (hash === undefined)
      throw new AuditError(
        AuditErrorCode.STORE_MISSING_NODE,
        `audit tree node (${id.level}, ${id.index}) missing`,
      );
    return hash;
  });
  return { size, peaks };
}

/**
 * `putNodes`'s one statement (the size moved by compare-and-set from `fromSize` to `toSize`, the nodes inserted
 * only if it did), and with it the writes of `also`: more common table expressions, each writing only
 * `where exists (select from moved)`, whose parameters (`also.params`) are numbered from $6. An append's rows go in
 * the same round trip as its nodes, and only if the size moved. Throws MOD_ERR_AUDIT_STORE_CONFLICT (retriable)
 * when it did not: nothing was written.
 */
export async function putNodesWith(
  db: Queryable,
  nodes: readonly StoredNode[],
  fromSize: number,
  toSize: number,
  also?: { ctes: string; params: unknown[] },
): Promise<void> {
  const { rows } = await db.query<{ moved: number }>(
    `/* audit:put-nodes */ with moved as (
       update audit_tree_size set size = $2 where size = $1 returning size
     ), ins as (
       insert into audit_merkle_nodes (level, idx, hash)
       select level, idx, hash from unnest($3::smallint[], $4::bigint[], $5::bytea[]) as t(level, idx, hash)
       where exists (select 1 from moved)
     )${also === undefined ? '' : `, ${also.ctes}`}
     select count(*)::int as moved from moved`,
    [
      fromSize,
      toSize,
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength)),
      ...(also?.params ?? []),
    ],
  );
  if (rows[0]?.moved !== 1) {
    throw new AuditError(
      AuditErrorCode.STORE_CONFLICT,
      `audit tree size is no longer ${fromSize} (another appender won)`,
      { retriable: true },
    );
  }
}

/**
 * Peaks of the tree after an append of `nodes` (from `computeAppendNodes(size, peaks, ...)`) up to `toSize`:
 * each is an old peak or a node just computed, so an appender can carry the right edge without re-reading it.
 */
export function nextPeaks(
  size: number,
  peaks: readonly Uint8Array[],
  nodes: readonly StoredNode[],
  toSize: number,
): Uint8Array[] {
  const known = new Map<string, Uint8Array>();
  peakIds(size).forEach((id, i) => known.set(`${id.level}:${id.index}`, peaks[i] as Uint8Array));
  for (const n of nodes) known.set(`${n.level}:${n.index}`, n.hash);
  return peakIds(toSize).map((id) => {
    const hash = known.get(`${id.level}:${id.index}`);
    if (hash === undefined)
      throw new AuditError(AuditErrorCode.STORE_MISSING_NODE, 'lost a peak of the tree');
    return hash;
  });
}
