import { sign } from 'node:crypto';
import { BUNDLE_SCOPE_FORMAT, type BundleScope, type ScopeSignature } from './bundle-format.js';
import { canonicalBytes } from './canonical.js';
import { AuditError, AuditErrorCode } from './errors.js';
import type { SignedTreeHead, SigningKey } from './sth.js';

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
export function definedOnly(scope: BundleScope): BundleScope {
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
