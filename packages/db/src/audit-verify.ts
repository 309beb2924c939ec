import { createHash } from 'node:crypto';
import {
  AuditError,
  AuditErrorCode,
  EMPTY_ROOT,
  VERIFY_REASON_CODES,
  computeAppendNodes,
  decodeRecord,
  foldNodes,
  hashesEqual,
  loadPublicKey,
  rootPlan,
  toHex,
  verifyTreeHead,
} from '@mod/audit';
import type { PublicKeyInfo, SignedTreeHead, VerifyReason } from '@mod/audit';
import { auditPublicKeys, listTreeHeads } from './audit-proofs.js';
import { createPgMerkleStore, nextPeaks } from './audit-store.js';
import type { Queryable } from './pool.js';

/** Outcome of `verifyStoredLog`; a failure names the first bad record (by seq) when one can be named. */
export type StoredLogVerification =
  | {
      ok: true;
      records: number;
      /** The signed head the log was checked against; null when the log has none (checked against its tree). */
      treeHead: SignedTreeHead | null;
      rootHash: string;
    }
  | {
      ok: false;
      error: {
        code: string;
        reason: VerifyReason;
        message: string;
        firstBadRecord: { seq: number } | null;
      };
    };

/** Options of `verifyStoredLog`. */
export interface VerifyStoredLogOptions {
  /** Keys to check tree-head signatures with (default: the keys recorded in `audit_signing_keys`). */
  trustedKeys?: readonly PublicKeyInfo[];
  /** Records read per query (default 5,000). */
  chunkRecords?: number;
}

function fail(reason: VerifyReason, message: string, seq: number | null): StoredLogVerification {
  return {
    ok: false,
    error: {
      code: VERIFY_REASON_CODES[reason],
      reason,
      message,
      firstBadRecord: seq === null ? null : { seq },
    },
  };
}

/**
 * Verifies the stored log as a whole, as the database owner could have left it: every record of the tree
 * (from seq 0 to its size, records appended since the latest signed head included; no signed head beyond it,
 * no row past it) is present, canonical, at its own seq, hashes to the leaf stored at append, and
 * its evidence documents still hash to the digests it carries; the root recomputed from the records equals
 * every signed head's root (each head's signature checked). Stops at the first problem and names the record:
 * a rewrite that also rewrote the stored leaf hashes is located to the records after the last head that
 * still verifies. Without a signed head, the recomputed root is compared with the stored tree's.
 * Reads the log once, in chunks; memory O(chunk + log n).
 */
export async function verifyStoredLog(
  db: Queryable,
  options: VerifyStoredLogOptions = {},
): Promise<StoredLogVerification> {
  const chunk = options.chunkRecords ?? 5000;
  const store = createPgMerkleStore(db);
  const trusted = options.trustedKeys ?? (await auditPublicKeys(db)).map((k) => loadPublicKey(k.spki));
  const heads = (await listTreeHeads(db, { limit: 1_000_000 })).reverse();
  for (const head of heads) {
    const check = verifyTreeHead(head, trusted);
    if (!check.ok) {
      return fail(
        check.code,
        `tree head of size ${head.treeSize} ${check.code === 'unknown_key' ? 'is signed by an untrusted key' : 'has a bad signature'}`,
        null,
      );
    }
  }
  const latest = heads.at(-1) ?? null;
  // Every record of the tree, those appended since the last signed head included.
  const size = await store.size();
  if (latest !== null && latest.treeSize > size) {
    return fail(
      'deleted',
      `the tree holds ${size} records, fewer than the ${latest.treeSize} of a signed head`,
      size,
    );
  }
  // A row the tree does not hold (the application role may insert) is no record of the log.
  const { rows: extra } = await db.query<{ seq: number }>(
    `/* audit:verify-beyond */ select seq from audit_records where seq >= $1 order by seq limit 1`,
    [size],
  );
  if (extra[0] !== undefined) {
    return fail(
      'changed',
      `record ${extra[0].seq} is not in the tree of ${size} records (inserted)`,
      extra[0].seq,
    );
  }

  let peaks: Uint8Array[] = [];
  let headAt = 0;
  let lastGoodHead = 0;
  const checkHeads = (n: number): StoredLogVerification | null => {
    for (; headAt < heads.length && (heads[headAt] as SignedTreeHead).treeSize <= n; headAt++) {
      const head = heads[headAt] as SignedTreeHead;
      if (head.treeSize !== n) continue;
      const root = n === 0 ? EMPTY_ROOT : foldNodes(peaks);
      if (toHex(root) !== head.rootHash) {
        return fail(
          'bad_proof',
          `records ${lastGoodHead}..${n - 1} do not lead to the root signed at size ${n} (leaf hashes rewritten too)`,
          lastGoodHead,
        );
      }
      lastGoodHead = n;
    }
    return null;
  };

  for (let from = 0; from < size; from += chunk) {
    const to = Math.min(size, from + chunk);
    const { rows } = await db.query<{ seq: number; record: string }>(
      `/* audit:verify-records */ select seq, record from audit_records where seq >= $1 and seq < $2 order by seq`,
      [from, to],
    );
    let stored: Uint8Array[];
    try {
      stored = await store.getLeafHashes(from, to);
    } catch (err) {
      if (err instanceof AuditError && err.code === AuditErrorCode.STORE_MISSING_NODE)
        return fail('bad_proof', err.message, null);
      throw err;
    }
    const docs = await db.query<{ seq: number; name: string; document: string }>(
      `/* audit:verify-evidence */ select seq, name, document from audit_evidence where seq >= $1 and seq < $2`,
      [from, to],
    );
    const docsBySeq = new Map<number, { name: string; document: string }[]>();
    for (const d of docs.rows) docsBySeq.set(d.seq, [...(docsBySeq.get(d.seq) ?? []), d]);

    const leaves: Uint8Array[] = [];
    for (let i = 0; i < to - from; i++) {
      const seq = from + i;
      const row = rows[i];
      if (row?.seq !== seq) return fail('deleted', `record ${seq} is missing`, seq);
      let decoded;
      try {
        decoded = decodeRecord(row.record);
      } catch (err) {
        return fail(
          'changed',
          `record ${seq} is not a valid canonical record: ${(err as Error).message}`,
          seq,
        );
      }
      if (decoded.record.seq !== seq) {
        return fail('reordered', `row ${seq} holds the record of seq ${decoded.record.seq}`, seq);
      }
      if (!hashesEqual(decoded.leafHash, stored[i] as Uint8Array)) {
        return fail('changed', `record ${seq} does not hash to the leaf stored at append`, seq);
      }
      for (const d of docsBySeq.get(seq) ?? []) {
        const digest = createHash('sha256').update(d.document, 'utf8').digest('hex');
        if (decoded.record.evidence[d.name] !== digest) {
          return fail('changed', `evidence ${d.name} of record ${seq} does not match its digest`, seq);
        }
      }
      leaves.push(decoded.leafHash);
    }
    // Fold leaf by leaf only where a head must be checked; otherwise append the chunk at once.
    let at = from;
    while (at < to) {
      const nextHead = heads[headAt]?.treeSize;
      const stop = nextHead !== undefined && nextHead > at && nextHead <= to ? nextHead : to;
      const batch = leaves.slice(at - from, stop - from);
      const nodes = computeAppendNodes(at, peaks, batch);
      peaks = nextPeaks(at, peaks, nodes, stop);
      at = stop;
      const bad = checkHeads(at);
      if (bad !== null) return bad;
    }
  }
  const bad = checkHeads(size);
  if (bad !== null) return bad;
  const root = size === 0 ? EMPTY_ROOT : foldNodes(peaks);
  // Interior nodes serve every proof: the stored tree must fold to the same root as the records.
  if (size > 0 && !hashesEqual(root, foldNodes(await store.getNodes(rootPlan(size))))) {
    return fail('bad_proof', 'the stored tree nodes do not lead to the root of the records', null);
  }
  return { ok: true, records: size, treeHead: latest, rootHash: toHex(root) };
}
