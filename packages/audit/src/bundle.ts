import { sign, verify } from 'node:crypto';
import { AuditError, AuditErrorCode } from './errors.js';
import { canonicalBytes } from './canonical.js';
import { fromHex, hashLeaf, hashesEqual, toHex, verifyInclusion, HASH_BYTES } from './merkle.js';
import { decodeRecord } from './record.js';
import type { EncodedRecord } from './record.js';
import { loadPublicKey, publicKeySpkiBase64, verifyTreeHead } from './sth.js';
import type { PublicKeyInfo, SignedTreeHead, SigningKey } from './sth.js';
import type { MerkleTree } from './tree.js';

/** Format tag of the export bundles this version writes: the scope is signed (`scopeSignature`). */
export const BUNDLE_FORMAT = 'mod.audit.bundle.v2';
/**
 * Format tag of bundles written before scopes were signed. Still read, but their scope (which records the
 * bundle claims to hold) is anyone's word: they verify only with `allowUnsignedScope`, and never as complete.
 */
export const LEGACY_BUNDLE_FORMAT = 'mod.audit.bundle.v1';
/** Domain-separation label inside a scope signature's bytes (never valid as a tree-head signature). */
export const BUNDLE_SCOPE_FORMAT = 'mod.audit.bundle-scope.v1';

/**
 * Which records a bundle promises to hold. `range`: every seq from `fromSeq` to `toSeq` inclusive (a time
 * range maps to one). `records`: exactly the listed seqs, ascending (e.g. all records of one case).
 * A missing promised record is reported as `deleted`. Other fields say what was asked for and for whom, e.g.
 * `refs` (the ids of a case export) and `audience` (whose view of the log: `all`, or `authority:<tenant>`
 * for the records that authority may read); they are part of what the scope signature covers.
 */
export type BundleScope = (
  | { kind: 'range'; fromSeq: number; toSeq: number }
  | { kind: 'records'; seqs: number[]; label?: string | null }
) & { refs?: string[]; audience?: string; fromSeq?: number; toSeq?: number; from?: string; to?: string };

/**
 * The log's signature over a bundle's scope, bound to its tree head: removing a record and editing the scope
 * to match, or moving the scope onto another head, no longer verifies.
 */
export interface ScopeSignature {
  keyId: string;
  /** When the export was signed (ISO-8601 UTC, milliseconds). */
  signedAt: string;
  /** Base64 Ed25519 signature over `bundleScopeSigningBytes`. */
  signature: string;
}

/** One record in a bundle, with what proves it is in the signed tree. */
export interface BundleEntry {
  /** Leaf index of the record; equals its seq. */
  leafIndex: number;
  /** Hex leaf hash as the log stored it at append time (reveals a record changed afterwards). */
  leafHash: string;
  /** The record's canonical JSON text (its UTF-8 bytes are the leaf input). */
  record: string;
  /** Hex RFC 9162 inclusion proof of `leafIndex` in the tree of `treeHead.treeSize` leaves. */
  inclusionProof: string[];
}

/** An export bundle: one JSON file an authority can check offline with `verifyBundle`. */
export interface AuditBundle {
  format: typeof BUNDLE_FORMAT | typeof LEGACY_BUNDLE_FORMAT;
  scope: BundleScope;
  /** Present in every `mod.audit.bundle.v2` bundle; absent from legacy ones. */
  scopeSignature?: ScopeSignature;
  treeHead: SignedTreeHead;
  /** The log's public keys: key id and base64 SPKI DER. */
  publicKeys: { keyId: string; spki: string }[];
  entries: BundleEntry[];
}

/** A bundle as this version writes it: `mod.audit.bundle.v2`, its scope signed. */
export type SignedAuditBundle = AuditBundle & {
  format: typeof BUNDLE_FORMAT;
  scopeSignature: ScopeSignature;
};

/** Everything `createBundle` needs; the records come from the log's record store, in seq order. */
export interface CreateBundleInput {
  scope: BundleScope;
  records: readonly EncodedRecord[] | readonly string[];
  tree: MerkleTree;
  treeHead: SignedTreeHead;
  publicKeys: readonly PublicKeyInfo[];
  /** The log's signing key, which signs the scope. Without it the bundle is a legacy (unsigned-scope) one. */
  signingKey?: SigningKey;
  /** Clock of the scope signature. Default: system time. */
  now?: () => Date;
}

/**
 * The bytes a scope signature covers: UTF-8 of the canonical JSON of `{"format":"mod.audit.bundle-scope.v1",
 * "keyId":..,"rootHash":..,"scope":{..},"signedAt":..,"treeSize":..}`: the whole scope object (kind, seqs or
 * range, label, refs, audience, ...) bound to the tree head it is proven against.
 */
export function bundleScopeSigningBytes(a: {
  scope: BundleScope;
  treeHead: Pick<SignedTreeHead, 'treeSize' | 'rootHash'>;
  keyId: string;
  signedAt: string;
}): Buffer {
  return canonicalBytes({
    format: BUNDLE_SCOPE_FORMAT,
    keyId: a.keyId,
    rootHash: a.treeHead.rootHash,
    scope: a.scope,
    signedAt: a.signedAt,
    treeSize: a.treeHead.treeSize,
  });
}

/** Drops keys whose value is `undefined` (canonical JSON has no undefined; an absent key is the same claim). */
function definedOnly(scope: BundleScope): BundleScope {
  return Object.fromEntries(Object.entries(scope).filter(([, v]) => v !== undefined)) as BundleScope;
}

/** Signs a bundle's scope for the tree head it is proven against, with the log's Ed25519 key. */
export function signBundleScope(
  scope: BundleScope,
  treeHead: Pick<SignedTreeHead, 'treeSize' | 'rootHash'>,
  key: SigningKey,
  signedAt: Date = new Date(),
): ScopeSignature {
  const at = signedAt.toISOString();
  let bytes: Buffer;
  try {
    bytes = bundleScopeSigningBytes({ scope: definedOnly(scope), treeHead, keyId: key.keyId, signedAt: at });
  } catch (cause) {
    throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, 'a bundle scope must be plain JSON data', {
      cause,
    });
  }
  return { keyId: key.keyId, signedAt: at, signature: sign(null, bytes, key.privateKey).toString('base64') };
}

/**
 * Builds a bundle: per record its inclusion proof at the tree head's size and its leaf hash *as stored in the
 * tree* (not recomputed), so a record altered in the database after append shows up as `changed`. Records are
 * taken as given: a missing or reordered one is exposed by the verifier, never silently repaired here.
 */
export async function createBundle(input: CreateBundleInput): Promise<AuditBundle> {
  const size = input.treeHead.treeSize;
  const entries: BundleEntry[] = [];
  for (const item of input.records) {
    const encoded = typeof item === 'string' ? decodeRecord(item) : item;
    const seq = encoded.record.seq;
    const proof = await input.tree.inclusionProof(seq, size);
    const [stored] = await input.tree.leafHashes(seq, seq + 1);
    entries.push({
      leafIndex: seq,
      leafHash: toHex(stored ?? Buffer.alloc(0)),
      record: encoded.canonical,
      inclusionProof: proof.map(toHex),
    });
  }
  const scope = definedOnly(input.scope);
  const publicKeys = input.publicKeys.map((k) => ({
    keyId: k.keyId,
    spki: publicKeySpkiBase64(k.publicKey),
  }));
  if (input.signingKey === undefined)
    return { format: LEGACY_BUNDLE_FORMAT, scope, treeHead: { ...input.treeHead }, publicKeys, entries };
  const signedAt = (input.now ?? (() => new Date()))();
  return {
    format: BUNDLE_FORMAT,
    scope,
    scopeSignature: signBundleScope(scope, input.treeHead, input.signingKey, signedAt),
    treeHead: { ...input.treeHead },
    publicKeys,
    entries,
  };
}

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
} as const;
export type VerifyReason = (typeof VerifyReason)[keyof typeof VerifyReason];

const CODE_OF: Record<VerifyReason, string> = {
  changed: AuditErrorCode.RECORD_CHANGED,
  deleted: AuditErrorCode.RECORD_DELETED,
  reordered: AuditErrorCode.RECORD_REORDERED,
  bad_proof: AuditErrorCode.BAD_PROOF,
  bad_signature: AuditErrorCode.BAD_SIGNATURE,
  unknown_key: AuditErrorCode.UNKNOWN_KEY,
  malformed: AuditErrorCode.BUNDLE_MALFORMED,
  scope_unsigned: AuditErrorCode.SCOPE_UNSIGNED,
  bad_scope_signature: AuditErrorCode.BAD_SCOPE_SIGNATURE,
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
   * comparison out of band.
   */
  trustedKeys?: readonly PublicKeyInfo[];
  /**
   * Accept a legacy bundle (no scope signature) as proof of the records it holds, reported `complete: false`.
   * Default false: such a bundle fails with `scope_unsigned`, because records can be removed from it unseen.
   */
  allowUnsignedScope?: boolean;
}

function failure(
  reason: VerifyReason,
  message: string,
  firstBadRecord: BadRecord | null,
): BundleVerification {
  return { ok: false, error: { code: CODE_OF[reason], reason, message, firstBadRecord } };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const HASH_HEX = /^[0-9a-f]{64}$/;

function checkShape(b: unknown): string | null {
  if (!isObject(b)) return 'bundle is not a JSON object';
  if (b.format !== BUNDLE_FORMAT && b.format !== LEGACY_BUNDLE_FORMAT)
    return `format is not ${BUNDLE_FORMAT} (or the legacy ${LEGACY_BUNDLE_FORMAT})`;
  if (b.format === BUNDLE_FORMAT) {
    const g = b.scopeSignature;
    if (
      !isObject(g) ||
      typeof g.keyId !== 'string' ||
      typeof g.signedAt !== 'string' ||
      typeof g.signature !== 'string'
    )
      return 'scopeSignature needs keyId, signedAt and signature';
  }
  const h = b.treeHead;
  if (
    !isObject(h) ||
    !isIndex(h.treeSize) ||
    typeof h.rootHash !== 'string' ||
    !HASH_HEX.test(h.rootHash) ||
    typeof h.timestamp !== 'string' ||
    typeof h.keyId !== 'string' ||
    typeof h.signature !== 'string'
  ) {
    return 'treeHead needs treeSize, rootHash (64 hex), timestamp, keyId and signature';
  }
  if (
    !Array.isArray(b.publicKeys) ||
    !b.publicKeys.every((k) => isObject(k) && typeof k.keyId === 'string' && typeof k.spki === 'string')
  ) {
    return 'publicKeys must be a list of {keyId, spki}';
  }
  const s = b.scope;
  if (!isObject(s)) return 'scope missing';
  if (s.kind === 'range') {
    if (!isIndex(s.fromSeq) || !isIndex(s.toSeq) || s.fromSeq > s.toSeq)
      return 'range scope needs fromSeq <= toSeq';
  } else if (s.kind === 'records') {
    if (!Array.isArray(s.seqs) || !s.seqs.every(isIndex)) return 'records scope needs a list of seqs';
    for (let i = 1; i < s.seqs.length; i++) {
      if ((s.seqs[i] as number) <= (s.seqs[i - 1] as number)) return 'scope seqs must be strictly ascending';
    }
  } else return 'scope.kind must be range or records';
  if (!Array.isArray(b.entries)) return 'entries must be a list';
  return null;
}

function entryShape(e: unknown): e is BundleEntry {
  return (
    isObject(e) &&
    isIndex(e.leafIndex) &&
    typeof e.leafHash === 'string' &&
    typeof e.record === 'string' &&
    Array.isArray(e.inclusionProof) &&
    e.inclusionProof.every((p) => typeof p === 'string')
  );
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
  const headCheck = verifyTreeHead(head, options.trustedKeys ?? embedded);
  if (!headCheck.ok) {
    return headCheck.code === 'unknown_key'
      ? failure('unknown_key', `tree head is signed by key ${head.keyId}, which is not trusted`, null)
      : failure(
          'bad_signature',
          'tree head signature does not verify (tree head altered or wrong key)',
          null,
        );
  }
  const signed = bundle.format === BUNDLE_FORMAT;
  if (signed) {
    const scopeCheck = verifyScopeSignature(bundle, options.trustedKeys ?? embedded);
    if (scopeCheck !== null) return scopeCheck;
  } else if (options.allowUnsignedScope !== true) {
    return failure(
      'scope_unsigned',
      `a ${LEGACY_BUNDLE_FORMAT} bundle's scope is not signed: records may have been removed from it unseen`,
      null,
    );
  }
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
  }
  return {
    ok: true,
    records: parsed.length,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    keyId: head.keyId,
    timestamp: head.timestamp,
    complete: signed,
  };
}

/** Checks a v2 bundle's scope signature (shape already checked); null when it verifies. */
function verifyScopeSignature(
  bundle: AuditBundle,
  trusted: readonly PublicKeyInfo[],
): BundleVerification | null {
  const g = bundle.scopeSignature as ScopeSignature;
  const key = trusted.find((k) => k.keyId === g.keyId);
  if (key === undefined)
    return failure('unknown_key', `the scope is signed by key ${g.keyId}, which is not trusted`, null);
  const signature = Buffer.from(g.signature, 'base64');
  let good = signature.length === 64 && signature.toString('base64') === g.signature;
  if (good) {
    try {
      const bytes = bundleScopeSigningBytes({
        scope: bundle.scope,
        treeHead: bundle.treeHead,
        keyId: g.keyId,
        signedAt: g.signedAt,
      });
      good = verify(null, bytes, key.publicKey, signature);
    } catch {
      good = false;
    }
  }
  return good
    ? null
    : failure(
        'bad_scope_signature',
        'the scope signature does not verify: the scope (which records the bundle claims to hold) was altered',
        null,
      );
}
