import { BUNDLE_FORMAT, BUNDLE_FORMAT_V2, LEGACY_BUNDLE_FORMAT, type BundleEntry } from './bundle-format.js';
import { LOG_ID_PATTERN, type SignedTreeHead } from './sth.js';
import { isRecordText } from './texts.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * The signed tree head `v` holds (its five fields and its log id when it names one, nothing else), or null when
 * it has not that shape: a size, a 64-hex root, a timestamp, a key id, a signature, and a `logId` of 32 hex
 * characters or none (a legacy head). The signature is not checked (`verifyTreeHead`).
 */
export function signedTreeHeadOf(v: unknown): SignedTreeHead | null {
  if (
    !isObject(v) ||
    !isIndex(v.treeSize) ||
    typeof v.rootHash !== 'string' ||
    !HASH_HEX.test(v.rootHash) ||
    typeof v.timestamp !== 'string' ||
    typeof v.keyId !== 'string' ||
    typeof v.signature !== 'string' ||
    (v.logId !== undefined && !(typeof v.logId === 'string' && LOG_ID_PATTERN.test(v.logId)))
  )
    return null;
  const { treeSize, rootHash, timestamp, keyId, signature, logId } = v as unknown as SignedTreeHead;
  return { treeSize, rootHash, timestamp, ...(logId === undefined ? {} : { logId }), keyId, signature };
}

function isKeyValidity(k: unknown): boolean {
  return (
    isObject(k) &&
    Object.keys(k).length === 3 &&
    typeof k.keyId === 'string' &&
    isIndex(k.fromSize) &&
    (k.toSize === null || (isIndex(k.toSize) && k.toSize >= k.fromSize))
  );
}

/** What is wrong with a bundle's structure (format, scope signature, tree head, keys, scope), or null. */
export function checkShape(b: unknown): string | null {
  if (!isObject(b)) return 'bundle is not a JSON object';
  if (b.format !== BUNDLE_FORMAT && b.format !== BUNDLE_FORMAT_V2 && b.format !== LEGACY_BUNDLE_FORMAT)
    return `format is not ${BUNDLE_FORMAT} (or the older ${BUNDLE_FORMAT_V2}, ${LEGACY_BUNDLE_FORMAT})`;
  if (b.format === BUNDLE_FORMAT) {
    if (typeof b.logId !== 'string' || !LOG_ID_PATTERN.test(b.logId))
      return 'logId must be 32 lowercase hex characters';
    if (!Array.isArray(b.keyHistory) || !b.keyHistory.every(isKeyValidity))
      return 'keyHistory must be a list of {keyId, fromSize, toSize (a size or null)}, fromSize <= toSize';
  }
  if (b.format !== LEGACY_BUNDLE_FORMAT) {
    const g = b.scopeSignature;
    if (
      !isObject(g) ||
      typeof g.keyId !== 'string' ||
      typeof g.signedAt !== 'string' ||
      typeof g.signature !== 'string'
    )
      return 'scopeSignature needs keyId, signedAt and signature';
  }
  if (signedTreeHeadOf(b.treeHead) === null)
    return 'treeHead needs treeSize, rootHash (64 hex), timestamp, keyId and signature';
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

/** Whether an entry has the shape of a `BundleEntry`. */
export function entryShape(e: unknown): e is BundleEntry {
  return (
    isObject(e) &&
    isIndex(e.leafIndex) &&
    typeof e.leafHash === 'string' &&
    typeof e.record === 'string' &&
    Array.isArray(e.inclusionProof) &&
    e.inclusionProof.every((p) => typeof p === 'string') &&
    (e.texts === undefined || (isObject(e.texts) && Object.values(e.texts).every(isRecordText)))
  );
}
