import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V2,
  LEGACY_BUNDLE_FORMAT,
  type AuditBundle,
  type BundleEntry,
  type BundleScope,
} from './bundle-format.js';
import { definedOnly, signBundleScope, type LogBinding } from './bundle-scope.js';
import { toHex } from './merkle.js';
import { decodeRecord, type EncodedRecord } from './record.js';
import { publicKeySpkiBase64, type PublicKeyInfo, type SignedTreeHead, type SigningKey } from './sth.js';
import type { MerkleTree } from './tree.js';

/** Everything `createBundle` needs; the records come from the log's record store, in seq order. */
export interface CreateBundleInput {
  scope: BundleScope;
  records: readonly EncodedRecord[] | readonly string[];
  tree: MerkleTree;
  treeHead: SignedTreeHead;
  publicKeys: readonly PublicKeyInfo[];
  /** The log's signing key, which signs the scope. Without it the bundle is a legacy (unsigned-scope) one. */
  signingKey?: SigningKey;
  /**
   * The log's id and key history (`mod.audit.bundle.v3`, signed with the scope). Without it a signed bundle is
   * a `v2` one, which names no log.
   */
  binding?: LogBinding;
  /** Clock of the scope signature. Default: system time. */
  now?: () => Date;
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
  const { binding } = input;
  const scopeSignature = signBundleScope(scope, input.treeHead, input.signingKey, signedAt, binding);
  const treeHead = { ...input.treeHead };
  if (binding === undefined)
    return { format: BUNDLE_FORMAT_V2, scope, scopeSignature, treeHead, publicKeys, entries };
  const { logId } = binding;
  const keyHistory = binding.keyHistory.map((k) => ({ ...k }));
  return { format: BUNDLE_FORMAT, logId, keyHistory, scope, scopeSignature, treeHead, publicKeys, entries };
}
