import { verifyTreeHead, type PublicKeyInfo, type SignedTreeHead } from './sth.js';

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
