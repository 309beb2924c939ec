import type { SignedTreeHead } from './sth.js';

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
