import { sign } from 'node:crypto';
import {
  BUNDLE_SCOPE_FORMAT,
  BUNDLE_SCOPE_FORMAT_V2,
  type BundleScope,
  type KeyValidity,
  type ScopeSignature,
} from './bundle-format.js';
import { canonicalBytes } from './canonical.js';
import { AuditError, AuditErrorCode } from './errors.js';
import type { SignedTreeHead, SigningKey } from './sth.js';

/** What a v3 scope signature binds besides the scope: the log's id and its key history. */
export interface LogBinding {
  logId: string;
  keyHistory: readonly KeyValidity[];
}

/**
 * The bytes a scope signature covers: UTF-8 of the canonical JSON of `{"format":"mod.audit.bundle-scope.v1",
 * "keyId":..,"rootHash":..,"scope":{..},"signedAt":..,"treeSize":..}`: the whole scope object (kind, seqs or
 * range, label, refs, audience, ...) bound to the tree head it is proven against. With a `binding` (bundle v3)
 * `{"format":"mod.audit.bundle-scope.v2","keyHistory":[..],"keyId":..,"logId":..,...}`: the log and the keys
 * that signed its heads, with the sizes each signed, are the signer's word too.
 */
export function bundleScopeSigningBytes(a: {
  scope: BundleScope;
  treeHead: Pick<SignedTreeHead, 'treeSize' | 'rootHash'>;
  keyId: string;
  signedAt: string;
  binding?: LogBinding;
}): Buffer {
  if (a.binding !== undefined)
    return canonicalBytes({
      format: BUNDLE_SCOPE_FORMAT_V2,
      keyHistory: a.binding.keyHistory.map((k) => ({ ...k })),
      keyId: a.keyId,
      logId: a.binding.logId,
      rootHash: a.treeHead.rootHash,
      scope: a.scope,
      signedAt: a.signedAt,
      treeSize: a.treeHead.treeSize,
    });
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

/**
 * Signs a bundle's scope for the tree head it is proven against, with the log's Ed25519 key; with a `binding`
 * (a v3 bundle's `logId` and `keyHistory`) those too.
 */
export function signBundleScope(
  scope: BundleScope,
  treeHead: Pick<SignedTreeHead, 'treeSize' | 'rootHash'>,
  key: SigningKey,
  signedAt: Date = new Date(),
  binding?: LogBinding,
): ScopeSignature {
  const at = signedAt.toISOString();
  let bytes: Buffer;
  try {
    bytes = bundleScopeSigningBytes({
      scope: definedOnly(scope),
      treeHead,
      keyId: key.keyId,
      signedAt: at,
      ...(binding === undefined ? {} : { binding }),
    });
  } catch (cause) {
    throw new AuditError(AuditErrorCode.INVALID_ARGUMENT, 'a bundle scope must be plain JSON data', {
      cause,
    });
  }
  return { keyId: key.keyId, signedAt: at, signature: sign(null, bytes, key.privateKey).toString('base64') };
}
