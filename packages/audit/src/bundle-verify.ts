import { type AuditBundle, type BundleEntry } from './bundle-format.js';
import { checkShape, entryShape } from './bundle-shape.js';
import { checkBundleTrust } from './bundle-trust.js';
import { AuditErrorCode } from './errors.js';
import { fromHex, hashLeaf, hashesEqual, verifyInclusion, HASH_BYTES } from './merkle.js';
import { decodeRecord, type EncodedRecord } from './record.js';
import { loadPublicKey, type PublicKeyInfo } from './sth.js';
import { checkRecordTexts } from './texts.js';

/** Short names of verification failures, as the issue names them. */
export const VerifyReason = {
  CHANGED: 'changed',
  DELETED: 'deleted',
  REORDERED: 'reordered',
  BAD_PROOF: 'bad_proof',
  BAD_SIGNATURE: 'bad_signature',
  UNKNOWN_KEY: 'unknown_key',
  MALFORMED: 'malformed',
  SCOPE_UNSIGNED: 'scope_unsigned',
  BAD_SCOPE_SIGNATURE: 'bad_scope_signature',
  /** The stored log's only (`verifyStoredLog` of `@mod/db`): an evidence document behind a digest is gone. */
  EVIDENCE_MISSING: 'evidence_missing',
  /** A head or bundle of another log than the one expected (`logId`). */
  WRONG_LOG: 'wrong_log',
  /** A head or bundle that names no log (legacy format) where a log was to be checked. */
  LEGACY_HEAD: 'legacy_head',
} as const;
export type VerifyReason = (typeof VerifyReason)[keyof typeof VerifyReason];

/** The error code of each reason a verification fails (a bundle's, or the stored log's in `@mod/db`). */
export const VERIFY_REASON_CODES: Readonly<Record<VerifyReason, AuditErrorCode>> = {
  changed: AuditErrorCode.RECORD_CHANGED,
  deleted: AuditErrorCode.RECORD_DELETED,
  reordered: AuditErrorCode.RECORD_REORDERED,
  bad_proof: AuditErrorCode.BAD_PROOF,
  bad_signature: AuditErrorCode.BAD_SIGNATURE,
  unknown_key: AuditErrorCode.UNKNOWN_KEY,
  malformed: AuditErrorCode.BUNDLE_MALFORMED,
  scope_unsigned: AuditErrorCode.SCOPE_UNSIGNED,
  bad_scope_signature: AuditErrorCode.BAD_SCOPE_SIGNATURE,
  evidence_missing: AuditErrorCode.EVIDENCE_MISSING,
  wrong_log: AuditErrorCode.WRONG_LOG,
  legacy_head: AuditErrorCode.LEGACY_HEAD,
};

/** The first bad record: its position in `entries` and its seq (for `deleted`, the missing seq). */
export interface BadRecord {
  index: number;
  seq: number | null;
}

/** Outcome of `verifyBundle`. Failures about the bundle as a whole (signature, key) have no bad record. */
export type BundleVerification =
  | {
      ok: true;
      records: number;
      treeSize: number;
      rootHash: string;
      keyId: string;
      timestamp: string;
      /**
       * True when the bundle holds every record its signed scope names. False only for a legacy bundle
       * accepted with `allowUnsignedScope`: each record it holds is proven, but nothing proves none was removed.
       */
      complete: boolean;
      /** The log the bundle is of (signed), or null when nothing in it names one (legacy). */
      logId: string | null;
      /** The tree head is of the legacy format, which names no log (a v3 bundle's scope signature still may). */
      legacyHead: boolean;
      /** The key that signed the scope: the one to compare out of band when no keys were given. */
      scopeKeyId: string | null;
    }
  | {
      ok: false;
      error: { code: string; reason: VerifyReason; message: string; firstBadRecord: BadRecord | null };
    };

/** Options of `verifyBundle`. */
export interface VerifyBundleOptions {
  /**
   * Keys the verifier trusts (from the authority's own records, not from the bundle). When absent, the keys
   * inside the bundle are used: that proves integrity against *some* key, whose id the result reports for
   * comparison out of band (`scopeKeyId`, v3; `keyId`, v2): a v2 bundle's scope must then be signed by the tree
   * head's key; a v3 bundle's head by the scope's key or by a key its signed `keyHistory` lists for that size, so a
   * head a rotated-out key signed verifies with the current key alone (`checkBundleTrust`).
   */
  trustedKeys?: readonly PublicKeyInfo[];
  /**
   * Accept a legacy bundle (no scope signature) as proof of the records it holds, reported `complete: false`.
   * Default false: such a bundle fails with `scope_unsigned`, because records can be removed from it unseen.
   */
  allowUnsignedScope?: boolean;
  /**
   * The log the bundle must be of (its id as the authority recorded it): a bundle of another log fails with
   * `wrong_log`, one that names no log (legacy) with `legacy_head`. Without it, the result reports `logId`.
   */
  logId?: string;
}

function failure(
  reason: VerifyReason,
  message: string,
  firstBadRecord: BadRecord | null,
): BundleVerification {
  return { ok: false, error: { code: VERIFY_REASON_CODES[reason], reason, message, firstBadRecord } };
}

/**
 * Verifies an export bundle offline: structure, the tree head's Ed25519 signature against trusted keys, then
 * each record in order (canonical and valid, hashes to its stored leaf hash, in the promised seq order at leaf
 * index = seq, inclusion proof leads to the signed root). Stops at the first problem and names it. Never throws.
 */
export function verifyBundle(input: unknown, options: VerifyBundleOptions = {}): BundleVerification {
  const shapeProblem = checkShape(input);
  if (shapeProblem !== null) return failure('malformed', shapeProblem, null);
  const bundle = input as AuditBundle;
  const head = bundle.treeHead;

  let embedded: PublicKeyInfo[];
  try {
    embedded = bundle.publicKeys.map((k) => loadPublicKey(k.spki));
  } catch (err) {
    return failure('malformed', `publicKeys: ${(err as Error).message}`, null);
  }
  const mislabelled = embedded.find((k, i) => k.keyId !== bundle.publicKeys[i]?.keyId);
  if (mislabelled !== undefined)
    return failure('malformed', `publicKeys: key ${mislabelled.keyId} is mislabelled`, null);
  const trust = checkBundleTrust(bundle, embedded, options);
  if (!trust.ok) return failure(trust.reason, trust.message, null);
  const root = Buffer.from(head.rootHash, 'hex');

  // Parse every entry first: deciding `deleted` versus `reordered` needs to know which seqs appear later.
  const parsed = bundle.entries.map(
    (e): { entry: BundleEntry; decoded: EncodedRecord | null; problem: string } => {
      if (!entryShape(e)) return { entry: e, decoded: null, problem: 'entry is malformed' };
      try {
        return { entry: e, decoded: decodeRecord(e.record), problem: '' };
      } catch (err) {
        return { entry: e, decoded: null, problem: (err as Error).message };
      }
    },
  );
  const present = new Set<number>();
  for (const p of parsed) if (p.decoded !== null) present.add(p.decoded.record.seq);

  const scope = bundle.scope;
  const promised = scope.kind === 'range' ? scope.toSeq - scope.fromSeq + 1 : scope.seqs.length;
  const expectedAt = (i: number): number | undefined =>
    scope.kind === 'range' ? (i < promised ? scope.fromSeq + i : undefined) : scope.seqs[i];

  const total = Math.max(parsed.length, promised);
  for (let i = 0; i < total; i++) {
    const expected = expectedAt(i);
    const item = parsed[i];
    if (item === undefined) {
      return failure('deleted', `record seq ${expected} is missing from the end of the bundle`, {
        index: i,
        seq: expected ?? null,
      });
    }
    const { entry, decoded } = item;
    if (!entryShape(entry)) return failure('malformed', `entry ${i} is malformed`, { index: i, seq: null });
    if (decoded === null) {
      return failure('changed', `record is not a valid canonical record: ${item.problem}`, {
        index: i,
        seq: entry.leafIndex,
      });
    }
    const seq = decoded.record.seq;
    const storedLeaf = fromHex(entry.leafHash);
    if (storedLeaf === null || storedLeaf.length !== HASH_BYTES) {
      return failure('malformed', `entry ${i} leafHash is not a hex SHA-256`, { index: i, seq });
    }
    if (!hashesEqual(hashLeaf(Buffer.from(entry.record, 'utf8')), storedLeaf)) {
      return failure('changed', `record seq ${seq} does not match the leaf hash stored at append`, {
        index: i,
        seq,
      });
    }
    if (expected === undefined) {
      return failure('malformed', `record seq ${seq} is outside the bundle's scope`, { index: i, seq });
    }
    if (seq !== expected) {
      const wasDeleted = seq > expected && !present.has(expected);
      return wasDeleted
        ? failure('deleted', `record seq ${expected} is missing (found seq ${seq} in its place)`, {
            index: i,
            seq: expected,
          })
        : failure('reordered', `found record seq ${seq} where seq ${expected} belongs`, { index: i, seq });
    }
    if (entry.leafIndex !== seq) {
      return failure('reordered', `record seq ${seq} is placed at leaf index ${entry.leafIndex}`, {
        index: i,
        seq,
      });
    }
    const proof = entry.inclusionProof.map(fromHex);
    if (
      proof.some((p) => p === null) ||
      !verifyInclusion(seq, head.treeSize, storedLeaf, proof as Buffer[], root)
    ) {
      return failure('bad_proof', `inclusion proof of seq ${seq} does not lead to the signed root`, {
        index: i,
        seq,
      });
    }
    // Free text beside the record: each shown must hash to the record's commitment; an erased one is fine.
    const textProblem = checkRecordTexts(decoded.record, entry.texts);
    if (textProblem !== null) return failure('changed', textProblem, { index: i, seq });
  }
  return {
    ok: true,
    records: parsed.length,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    keyId: head.keyId,
    timestamp: head.timestamp,
    complete: trust.complete,
    logId: trust.logId,
    legacyHead: trust.legacyHead,
    scopeKeyId: trust.scopeKeyId,
  };
}
