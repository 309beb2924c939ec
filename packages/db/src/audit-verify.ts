import { createHash } from 'node:crypto';
import {
  AuditError,
  AuditErrorCode,
  EMPTY_ROOT,
  auditRefsOf,
  VERIFY_REASON_CODES,
  computeAppendNodes,
  decodeRecord,
  foldNodes,
  hashesEqual,
  keyForHead,
  keyHandovers,
  loadPublicKey,
  rootPlan,
  toHex,
  verifyTreeHead,
} from '@mod/audit';
import type { AuditRecord, HandedOverKey, PublicKeyInfo, SignedTreeHead, VerifyReason } from '@mod/audit';
import { auditLogId, auditPublicKeys, listTreeHeads } from './audit-heads.js';
import { listedKeys } from './audit-key-history.js';
import { createPgMerkleStore, nextPeaks } from './audit-store.js';
import { checkStoredTexts } from './audit-texts.js';
import type { Queryable } from './pool.js';

/** A record's evidence digest whose document `audit_evidence` no longer holds. */
export interface MissingEvidence {
  seq: number;
  /** The evidence name in the record. */
  name: string;
  /** The SHA-256 (hex) the record carries for the document. */
  digest: string;
}

/** A signed head (stored, or kept by the verifier) that is no head of this log, and why. */
export interface RefusedStoredHead {
  treeSize: number;
  keyId: string;
  logId: string | null;
  kept: boolean;
  reason: 'unknown_key' | 'bad_signature' | 'wrong_log';
}

/**
 * Outcome of `verifyStoredLog`; a failure names the first bad record (by seq) when one can be named, and lists
 * the records whose evidence documents are gone (`missingEvidence`, the first `maxFindings`; all of the log when
 * that is the failure, else those read before it; `missingEvidenceCount` counts them all).
 */
export type StoredLogVerification =
  | {
      ok: true;
      records: number;
      /** The signed head the log was checked against; null when the log has none (checked against its tree). */
      treeHead: SignedTreeHead | null;
      rootHash: string;
      /** This log's id (`audit_log_identity`): every head naming a log names this one. */
      logId: string;
      /** Heads checked that are of the legacy format, which names no log (checked by signature and root). */
      legacyHeads: number;
      /** Rotated-out keys whose heads counted through the log's key history (`keyHistory`), oldest first. */
      handedOverKeys: { keyId: string; fromSize: number; toSize: number; handedTo: string }[];
    }
  | {
      ok: false;
      error: {
        code: string;
        reason: VerifyReason;
        message: string;
        firstBadRecord: { seq: number } | null;
      };
      missingEvidence: MissingEvidence[];
      missingEvidenceCount: number;
      /** Every head, stored or kept, that is no head of this log (the first of them failed the log). */
      refusedHeads: RefusedStoredHead[];
    };

/** Options of `verifyStoredLog`. */
export interface VerifyStoredLogOptions {
  /** Keys to check tree-head signatures with (default: the keys recorded in `audit_signing_keys`). */
  trustedKeys?: readonly PublicKeyInfo[];
  /**
   * Signed heads the verifier kept outside the database (from the API or the tree-heads topic), checked like the
   * stored ones: the database's owner can delete the newest records together with the heads that signed them,
   * and the stored heads alone then show nothing; a kept head still names the cut or the rewrite.
   */
  keptHeads?: readonly SignedTreeHead[];
  /**
   * Also take the heads of the log's older keys (`keyHandovers`: a key the database lists, all of whose heads lie
   * at or below a head of a trusted key, which commits them: each head's root is still recomputed from the
   * records), inside the sizes each signed; so after a rotation the current key alone is enough. A head of a key
   * the database does not list, or past the last trusted head, is still `unknown_key`.
   */
  keyHistory?: boolean;
  /** Records read per query (default 5,000). */
  chunkRecords?: number;
  /** Most missing evidence documents listed (all are counted). Default 1,000. */
  maxFindings?: number;
}

/** The missing evidence documents found so far. */
interface Findings {
  listed: MissingEvidence[];
  count: number;
  first: MissingEvidence | null;
  refused: RefusedStoredHead[];
}

function fail(
  reason: VerifyReason,
  message: string,
  seq: number | null,
  found: Findings,
): StoredLogVerification {
  return {
    ok: false,
    error: {
      code: VERIFY_REASON_CODES[reason],
      reason,
      message,
      firstBadRecord: seq === null ? null : { seq },
    },
    missingEvidence: found.listed,
    missingEvidenceCount: found.count,
    refusedHeads: found.refused,
  };
}

/**
 * Of the digests of a chunk's older records (written before records named their `documents`) that have no
 * evidence row, those that had one: a digest the caller gave as it is (`toAuditDraft`: a hex value, such as a
 * media SHA-256) has no document, and is indexed in `audit_refs` under its record; a document's digest is not. So
 * a digest with neither row names a deleted document. (`audit_refs` is outside the tree: for these records, a
 * superuser who deletes a document and also forges a ref row for its digest is not seen. A record that names its
 * `documents` is checked by them alone.)
 */
async function missingDocuments(db: Queryable, unbacked: MissingEvidence[]): Promise<MissingEvidence[]> {
  if (unbacked.length === 0) return [];
  const { rows } = await db.query<{ ref: string; seq: number }>(
    `/* audit:verify-direct-digests */ select r.ref, r.seq from audit_refs r
     join unnest($1::text[], $2::bigint[]) as c(ref, seq) on r.ref = c.ref and r.seq = c.seq`,
    [unbacked.map((u) => u.digest), unbacked.map((u) => u.seq)],
  );
  const direct = new Set(rows.map((r) => `${r.seq}:${r.ref}`));
  return unbacked.filter((u) => !direct.has(`${u.seq}:${u.digest}`));
}

/**
 * Verifies the stored log as a whole, as the database owner could have left it: every record of the tree
 * (from seq 0 to its size, records appended since the latest signed head included; no signed head beyond it,
 * no row past it) is present, canonical, at its own seq, hashes to the leaf stored at append, is `recorded_at`
 * its own time (the copy time-range exports select by), is still indexed under the refs case exports find it by
 * (`auditRefsOf`), and its evidence documents still hash to the digests it carries; the root recomputed from the records equals
 * every signed head's root (each head's signature checked; the heads the verifier kept, `keptHeads`, as well as
 * the stored ones). A record whose evidence document is gone (deleted behind the append-only triggers, which a
 * superuser can bypass) does not stop the check: every such record is listed, and the log fails with
 * `evidence_missing` when nothing worse is found. Otherwise it stops at the first problem and names the record:
 * a rewrite that also rewrote the stored leaf hashes is located to the records after the last head that
 * still verifies. Without a signed head, the recomputed root is compared with the stored tree's.
 * Reads the log once, in chunks; memory O(chunk + log n).
 */
export async function verifyStoredLog(
  db: Queryable,
  options: VerifyStoredLogOptions = {},
): Promise<StoredLogVerification> {
  const chunk = options.chunkRecords ?? 5000;
  const maxFindings = options.maxFindings ?? 1000;
  const found: Findings = { listed: [], count: 0, first: null, refused: [] };
  const failed = (reason: VerifyReason, message: string, seq: number | null) =>
    fail(reason, message, seq, found);
  const noteMissing = async (unbacked: MissingEvidence[], gone: MissingEvidence[]): Promise<void> => {
    const all = [...gone, ...(await missingDocuments(db, unbacked))].sort((a, b) => a.seq - b.seq);
    for (const m of all) {
      found.count++;
      found.first ??= m;
      if (found.listed.length < maxFindings) found.listed.push(m);
    }
  };
  const store = createPgMerkleStore(db);
  const trusted = options.trustedKeys ?? (await auditPublicKeys(db)).map((k) => loadPublicKey(k.spki));
  const logId = await auditLogId(db);
  const stored = (await listTreeHeads(db, { limit: 1_000_000 })).reverse();
  const kept = new Set(options.keptHeads ?? []);
  const heads = [...stored, ...kept].sort((a, b) => a.treeSize - b.treeSize);
  // Every head that is no head of this log is listed, and the first fails the log: a row is only refused by
  // the API's reads, but whoever could insert it could also have altered a real head.
  const handed = options.keyHistory === true ? keyHandovers(heads, trusted, await listedKeys(db)) : [];
  for (const head of heads) {
    const key = keyForHead(head, trusted, handed);
    const check = key === null ? ({ ok: false, code: 'unknown_key' } as const) : verifyTreeHead(head, [key]);
    const reason = !check.ok
      ? check.code
      : head.logId !== undefined && head.logId !== logId
        ? 'wrong_log'
        : null;
    if (reason !== null)
      found.refused.push({
        treeSize: head.treeSize,
        keyId: head.keyId,
        logId: head.logId ?? null,
        kept: kept.has(head),
        reason,
      });
  }
  const refused = found.refused[0];
  if (refused !== undefined) {
    const what = `${refused.kept ? 'kept' : 'stored'} tree head of size ${refused.treeSize}`;
    const why = {
      unknown_key: `is signed by key ${refused.keyId}, which is not trusted${options.keyHistory === true ? ' and not an older key of the log sealed by a trusted head (or not at that size)' : ''}`,
      bad_signature: 'has a bad signature',
      wrong_log: `is of log ${refused.logId ?? ''}, not of this log ${logId}`,
    }[refused.reason];
    return failed(refused.reason, `${what} ${why} (${found.refused.length} head(s) refused)`, null);
  }
  const latest = heads.at(-1) ?? null;
  // Every record of the tree, those appended since the last signed head included.
  const size = await store.size();
  if (latest !== null && latest.treeSize > size) {
    return failed(
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
    return failed(
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
        return failed(
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
    const { rows } = await db.query<{ seq: number; record: string; recorded_at: Date }>(
      `/* audit:verify-records */ select seq, record, recorded_at from audit_records
       where seq >= $1 and seq < $2 order by seq`,
      [from, to],
    );
    let stored: Uint8Array[];
    try {
      stored = await store.getLeafHashes(from, to);
    } catch (err) {
      if (err instanceof AuditError && err.code === AuditErrorCode.STORE_MISSING_NODE)
        return failed('bad_proof', err.message, null);
      throw err;
    }
    const docs = await db.query<{ seq: number; name: string; document: string }>(
      `/* audit:verify-evidence */ select seq, name, document from audit_evidence where seq >= $1 and seq < $2`,
      [from, to],
    );
    const docsBySeq = new Map<number, { name: string; document: string }[]>();
    for (const d of docs.rows) docsBySeq.set(d.seq, [...(docsBySeq.get(d.seq) ?? []), d]);

    const leaves: Uint8Array[] = [];
    /** Digests of older records with no document row: gone, unless `audit_refs` says they never had one. */
    const unbacked: MissingEvidence[] = [];
    /** Documents a record names whose row is gone. */
    const gone: MissingEvidence[] = [];
    /** The refs each record was indexed under when appended (`auditRefsOf`). */
    const indexed: { ref: string; seq: number }[] = [];
    const read: AuditRecord[] = [];
    // A failure inside the chunk still lists the documents gone from the records read before it.
    const stopAt = async (reason: VerifyReason, message: string, seq: number) => {
      await noteMissing(unbacked, gone);
      return failed(reason, message, seq);
    };
    for (let i = 0; i < to - from; i++) {
      const seq = from + i;
      const row = rows[i];
      if (row?.seq !== seq) return stopAt('deleted', `record ${seq} is missing`, seq);
      let decoded;
      try {
        decoded = decodeRecord(row.record);
      } catch (err) {
        return stopAt(
          'changed',
          `record ${seq} is not a valid canonical record: ${(err as Error).message}`,
          seq,
        );
      }
      if (decoded.record.seq !== seq) {
        return stopAt('reordered', `row ${seq} holds the record of seq ${decoded.record.seq}`, seq);
      }
      if (!hashesEqual(decoded.leafHash, stored[i] as Uint8Array)) {
        return stopAt('changed', `record ${seq} does not hash to the leaf stored at append`, seq);
      }
      // The copy of the time that time-range exports select by: moved, it moves a record out of a window.
      if (Date.parse(decoded.record.time) !== row.recorded_at.getTime()) {
        return stopAt('changed', `record ${seq} is recorded_at another time than its own`, seq);
      }
      const documents = docsBySeq.get(seq) ?? [];
      for (const d of documents) {
        const digest = createHash('sha256').update(d.document, 'utf8').digest('hex');
        if (decoded.record.evidence[d.name] !== digest) {
          return stopAt('changed', `evidence ${d.name} of record ${seq} does not match its digest`, seq);
        }
      }
      const named = decoded.record.documents;
      for (const [name, digest] of Object.entries(decoded.record.evidence)) {
        if (documents.some((d) => d.name === name)) continue;
        if (named === undefined) unbacked.push({ seq, name, digest });
        else if (named.includes(name)) gone.push({ seq, name, digest });
      }
      leaves.push(decoded.leafHash);
      read.push(decoded.record);
      for (const ref of auditRefsOf(decoded.record, new Map(documents.map((d) => [d.name, d.document]))))
        indexed.push({ ref, seq });
    }
    // Case exports find records by audit_refs, outside the tree: a row gone leaves the record out of them.
    const { rows: unindexed } = await db.query<{ ref: string; seq: number }>(
      `/* audit:verify-refs */ select c.ref, c.seq from unnest($1::text[], $2::bigint[]) as c(ref, seq)
       where not exists (select 1 from audit_refs r where r.ref = c.ref and r.seq = c.seq)
       order by c.seq limit 1`,
      [indexed.map((x) => x.ref), indexed.map((x) => x.seq)],
    );
    const lost = unindexed[0];
    if (lost !== undefined) {
      return stopAt(
        'changed',
        `record ${lost.seq} is no longer found by ${lost.ref} (its audit_refs row is gone): case exports leave it out`,
        lost.seq,
      );
    }
    // Texts beside the log (`audit_texts`): each kept one matches its commitment; erased ones are accepted.
    const text = await checkStoredTexts(db, read);
    if (text !== null) return stopAt('changed', text.message, text.seq);
    await noteMissing(unbacked, gone);
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
    return failed('bad_proof', 'the stored tree nodes do not lead to the root of the records', null);
  }
  const first = found.first;
  if (first !== null) {
    return failed(
      'evidence_missing',
      `${found.count} evidence document(s) gone from audit_evidence, the first ${first.name} of record ${first.seq}`,
      first.seq,
    );
  }
  const legacyHeads = heads.filter((h) => h.logId === undefined).length;
  const handedOverKeys = handed.map((k: HandedOverKey) => ({
    keyId: k.key.keyId,
    fromSize: k.fromSize,
    toSize: k.toSize,
    handedTo: k.handedTo,
  }));
  return {
    ok: true,
    records: size,
    treeHead: latest,
    rootHash: toHex(root),
    logId,
    legacyHeads,
    handedOverKeys,
  };
}
