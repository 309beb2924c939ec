import { BUNDLE_FORMAT, type LogAuditBundle } from './bundle-format.js';
import { VERIFY_REASON_CODES, verifyBundle } from './bundle-verify.js';
import { AuditErrorCode } from './errors.js';
import { loadPublicKey, verifyTreeHead, type PublicKeyInfo, type SignedTreeHead } from './sth.js';

/**
 * A key the log used before the keys a verifier trusts, found in the log's key history: it signed heads of sizes
 * `fromSize`..`toSize` only, and a trusted key (`handedTo`) signed a head of a size at least `toSize`, which
 * commits the tree every one of those heads is of (a verifier that recomputes the roots from the records, or
 * holds a consistency proof to that head, checks each of them against it).
 */
export interface HandedOverKey {
  key: PublicKeyInfo;
  fromSize: number;
  toSize: number;
  /** The trusted key whose head, at `toSize` or later, seals the key's range. */
  handedTo: string;
}

/**
 * The log's older keys as the trusted keys seal them: of the `candidates` (the keys the log lists, which are
 * anyone's word), each whose heads in `heads` (only those its signature verifies) all lie at or below a head a
 * trusted key (`anchors`) signed, with the range of sizes it signed. A rotated-out key that signs past the last
 * trusted head is sealed by no one, and a key no one lists stays unknown (`MOD_ERR_AUDIT_UNKNOWN_KEY`).
 */
export function keyHandovers(
  heads: readonly SignedTreeHead[],
  anchors: readonly PublicKeyInfo[],
  candidates: readonly PublicKeyInfo[],
): HandedOverKey[] {
  const trustedIds = new Set(anchors.map((k) => k.keyId));
  const signedBy = (key: PublicKeyInfo) =>
    heads.filter((h) => h.keyId === key.keyId && verifyTreeHead(h, [key]).ok);
  const anchorHeads = anchors.flatMap(signedBy).sort((a, b) => a.treeSize - b.treeSize);
  const handed: HandedOverKey[] = [];
  for (const key of candidates) {
    if (trustedIds.has(key.keyId) || handed.some((k) => k.key.keyId === key.keyId)) continue;
    const sizes = signedBy(key).map((h) => h.treeSize);
    if (sizes.length === 0) continue;
    const toSize = Math.max(...sizes);
    const seal = anchorHeads.find((h) => h.treeSize >= toSize);
    if (seal !== undefined) handed.push({ key, fromSize: Math.min(...sizes), toSize, handedTo: seal.keyId });
  }
  return handed.sort((a, b) => a.fromSize - b.fromSize || a.key.keyId.localeCompare(b.key.keyId));
}

/**
 * The key that verifies `head` given the trusted keys and the keys handed over to them: a trusted key, or a key
 * handed over whose range holds the head's size; null when there is none (an unknown key, or a size outside the
 * range of a rotated-out key).
 */
export function keyForHead(
  head: SignedTreeHead,
  anchors: readonly PublicKeyInfo[],
  handed: readonly HandedOverKey[],
): PublicKeyInfo | null {
  const anchor = anchors.find((k) => k.keyId === head.keyId);
  if (anchor !== undefined) return anchor;
  const old = handed.find((k) => k.key.keyId === head.keyId);
  return old !== undefined && head.treeSize >= old.fromSize && head.treeSize <= old.toSize ? old.key : null;
}

/** The log's older keys a signed key history vouches for, and the log it is of; or why it vouches for none. */
export type HistoryHandovers =
  | { ok: true; handed: HandedOverKey[]; logId: string }
  | { ok: false; code: AuditErrorCode; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The public key a v3 bundle carries for `keyId`, when it is one and truly that key's; else null. */
function carriedKey(bundle: LogAuditBundle, keyId: string): PublicKeyInfo | null {
  const spki = bundle.publicKeys.find((p) => p.keyId === keyId)?.spki;
  try {
    const key = spki === undefined ? null : loadPublicKey(spki);
    return key?.keyId === keyId ? key : null;
  } catch {
    return null;
  }
}

/**
 * The key history a `mod.audit.bundle.v3` export carries under its scope signature (an export, or the
 * record-less one a consistency proof carries), as a verifier holding only `anchors` (its own keys) takes it: the
 * bundle must verify against them (`verifyBundle`: a scope signed by no anchor is `MOD_ERR_AUDIT_UNKNOWN_KEY`, a
 * history altered after signing `MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE`); each rotated-out key it lists (a closed range
 * of sizes) with its public key from the bundle then counts for heads inside that range (`keyForHead`). Any other
 * document vouches for nothing (`MOD_ERR_AUDIT_BUNDLE_MALFORMED`). Never throws.
 */
export function historyHandovers(bundle: unknown, anchors: readonly PublicKeyInfo[]): HistoryHandovers {
  if (!isObject(bundle) || bundle.format !== BUNDLE_FORMAT)
    return {
      ok: false,
      code: AuditErrorCode.BUNDLE_MALFORMED,
      message: `not a ${BUNDLE_FORMAT} export bundle (only they carry a signed key history)`,
    };
  const result = verifyBundle(bundle, { trustedKeys: anchors });
  if (!result.ok)
    return { ok: false, code: VERIFY_REASON_CODES[result.error.reason], message: result.error.message };
  // verifyBundle checked the shape: a v3 bundle, its key history a list of {keyId, fromSize, toSize}.
  const signed = bundle as unknown as LogAuditBundle;
  const handed: HandedOverKey[] = [];
  for (const k of signed.keyHistory) {
    if (k.toSize === null || anchors.some((a) => a.keyId === k.keyId)) continue;
    const key = carriedKey(signed, k.keyId);
    if (key !== null)
      handed.push({ key, fromSize: k.fromSize, toSize: k.toSize, handedTo: result.scopeKeyId ?? '' });
  }
  return { ok: true, handed, logId: signed.logId };
}
