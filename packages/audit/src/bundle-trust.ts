import { verify } from 'node:crypto';
import {
  BUNDLE_FORMAT,
  LEGACY_BUNDLE_FORMAT,
  type AuditBundle,
  type ScopeSignature,
} from './bundle-format.js';
import { bundleScopeSigningBytes } from './bundle-scope.js';
import { verifyTreeHead, type PublicKeyInfo } from './sth.js';

/** Why a bundle's head or scope is not the log's (the `VerifyReason` of each, see bundle-verify.ts). */
export type TrustProblem = {
  ok: false;
  reason:
    | 'unknown_key'
    | 'bad_signature'
    | 'scope_unsigned'
    | 'bad_scope_signature'
    | 'wrong_log'
    | 'legacy_head';
  message: string;
};

/** Whose word a bundle is, once its signatures verify. */
export interface BundleTrust {
  ok: true;
  /** The log the bundle is of (a v3 bundle's signed `logId`, else its head's), null when nothing names one. */
  logId: string | null;
  /** The tree head is of the legacy format, whose signature names no log. */
  legacyHead: boolean;
  /** The key that signed the scope (null: a legacy unsigned scope). */
  scopeKeyId: string | null;
  /** True when the scope is signed (v2, v3); false for a legacy bundle accepted with `allowUnsignedScope`. */
  complete: boolean;
}

/** What `checkBundleTrust` is told by the verifier's caller (see `VerifyBundleOptions`). */
export interface TrustOptions {
  trustedKeys?: readonly PublicKeyInfo[];
  allowUnsignedScope?: boolean;
  logId?: string;
}

const problem = (reason: TrustProblem['reason'], message: string): TrustProblem => ({
  ok: false,
  reason,
  message,
});

/**
 * Checks the signatures of a bundle's head and scope and which log it names, before its records are looked at.
 * Trust starts from `trustedKeys`, or (without them) from the bundle's own key that signed the scope (v3) or the
 * head (v2, v1): its id is reported for comparison out of band. In a v3 bundle the scope's signer also vouches
 * for the log id and the key history: a head signed by a rotated-out key is the log's when the history lists
 * that key with the head's size inside the sizes it signed; a key the verifier does not trust and the history
 * does not list, or a size outside its range, is `unknown_key`. A head naming another log than the bundle, or
 * a bundle of another log than `options.logId`, is `wrong_log`; one that names no log while `options.logId`
 * asks for one is `legacy_head` (legacy heads are otherwise reported as such, never passed off as naming a log).
 */
export function checkBundleTrust(
  bundle: AuditBundle,
  embedded: readonly PublicKeyInfo[],
  options: TrustOptions,
): BundleTrust | TrustProblem {
  const head = bundle.treeHead;
  const g = bundle.scopeSignature;
  let trust: BundleTrust | TrustProblem;
  if (bundle.format === BUNDLE_FORMAT && g !== undefined) trust = checkV3(bundle, g, embedded, options);
  else {
    const headCheck = checkHead(bundle, options.trustedKeys ?? embedded);
    if (headCheck !== null) return headCheck;
    if (bundle.format === LEGACY_BUNDLE_FORMAT || g === undefined) {
      if (options.allowUnsignedScope !== true)
        return problem(
          'scope_unsigned',
          `a ${LEGACY_BUNDLE_FORMAT} bundle's scope is not signed: records may have been removed from it unseen`,
        );
    } else {
      // Without trusted keys, only the head's key id is reported for comparison out of band: a scope signed by
      // any other key the bundle carries (one added with it, after dropping records) would go unseen.
      const scopeCheck = checkScope(
        bundle,
        g,
        options.trustedKeys ?? embedded.filter((k) => k.keyId === head.keyId),
      );
      if (scopeCheck !== null) return scopeCheck;
    }
    const logId = head.logId ?? null;
    trust = {
      ok: true,
      logId,
      legacyHead: logId === null,
      scopeKeyId: g?.keyId ?? null,
      complete: g !== undefined,
    };
  }
  if (!trust.ok || options.logId === undefined) return trust;
  if (trust.logId === null)
    return problem(
      'legacy_head',
      `the bundle names no log (a legacy head in a ${bundle.format} bundle): it cannot be shown to be of log ${options.logId}`,
    );
  if (trust.logId !== options.logId)
    return problem('wrong_log', `the bundle is of log ${trust.logId}, not of log ${options.logId}`);
  return trust;
}

function checkV3(
  bundle: AuditBundle,
  g: ScopeSignature,
  embedded: readonly PublicKeyInfo[],
  options: TrustOptions,
): BundleTrust | TrustProblem {
  const head = bundle.treeHead;
  const anchors = options.trustedKeys ?? embedded.filter((k) => k.keyId === g.keyId);
  // The scope first: its signature is what vouches for the key history the head's key is looked up in.
  const scopeCheck = checkScope(bundle, g, anchors);
  if (scopeCheck !== null) return scopeCheck;
  const history = bundle.keyHistory ?? [];
  const listed = history.find((k) => k.keyId === head.keyId);
  if (
    listed !== undefined &&
    (head.treeSize < listed.fromSize || head.treeSize > (listed.toSize ?? Infinity))
  )
    return problem(
      'unknown_key',
      `key ${head.keyId} signed the log's heads of sizes ${listed.fromSize}..${listed.toSize ?? ''} only, not one of size ${head.treeSize}`,
    );
  const anchor = anchors.find((k) => k.keyId === head.keyId);
  const key = anchor ?? (listed === undefined ? undefined : embedded.find((k) => k.keyId === head.keyId));
  if (key === undefined)
    return problem(
      'unknown_key',
      `tree head is signed by key ${head.keyId}, which is not trusted${listed === undefined ? ' and not in the signed key history' : ' (the bundle lacks its public key)'}`,
    );
  const headCheck = checkHead(bundle, [key]);
  if (headCheck !== null) return headCheck;
  if (head.logId !== undefined && head.logId !== bundle.logId)
    return problem(
      'wrong_log',
      `the tree head is of log ${head.logId}, the bundle says log ${bundle.logId ?? ''}`,
    );
  return {
    ok: true,
    logId: bundle.logId ?? null,
    legacyHead: head.logId === undefined,
    scopeKeyId: g.keyId,
    complete: true,
  };
}

function checkHead(bundle: AuditBundle, keys: readonly PublicKeyInfo[]): TrustProblem | null {
  const head = bundle.treeHead;
  const check = verifyTreeHead(head, keys);
  if (check.ok) return null;
  return check.code === 'unknown_key'
    ? problem('unknown_key', `tree head is signed by key ${head.keyId}, which is not trusted`)
    : problem('bad_signature', 'tree head signature does not verify (tree head altered or wrong key)');
}

/** Checks a signed bundle's scope signature (shape already checked); null when it verifies. */
function checkScope(
  bundle: AuditBundle,
  g: ScopeSignature,
  trusted: readonly PublicKeyInfo[],
): TrustProblem | null {
  const key = trusted.find((k) => k.keyId === g.keyId);
  if (key === undefined)
    return problem(
      'unknown_key',
      bundle.format === BUNDLE_FORMAT
        ? `the scope is signed by key ${g.keyId}, which is not trusted`
        : `the scope is signed by key ${g.keyId}, which is not trusted (without trusted keys, only the tree head's key ${bundle.treeHead.keyId} is)`,
    );
  const signature = Buffer.from(g.signature, 'base64');
  let good = signature.length === 64 && signature.toString('base64') === g.signature;
  if (good) {
    try {
      const bytes = bundleScopeSigningBytes({
        scope: bundle.scope,
        treeHead: bundle.treeHead,
        keyId: g.keyId,
        signedAt: g.signedAt,
        ...(bundle.format === BUNDLE_FORMAT
          ? { binding: { logId: bundle.logId ?? '', keyHistory: bundle.keyHistory ?? [] } }
          : {}),
      });
      good = verify(null, bytes, key.publicKey, signature);
    } catch {
      good = false;
    }
  }
  return good
    ? null
    : problem(
        'bad_scope_signature',
        'the scope signature does not verify: the scope (which records the bundle claims to hold) was altered',
      );
}
