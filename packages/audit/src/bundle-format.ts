import type { SignedTreeHead } from './sth.js';
import type { RecordText } from './texts.js';

/**
 * Format tag of the export bundles this version writes: the scope is signed (`scopeSignature`) together with
 * the log's id (`logId`) and its key history (`keyHistory`).
 */
export const BUNDLE_FORMAT = 'mod.audit.bundle.v3';
/**
 * Format tag of bundles written before bundles named their log: the scope is signed, but neither the bundle
 * nor (usually) its head says which log it is of. Still verified; the result says `logId: null`.
 */
export const BUNDLE_FORMAT_V2 = 'mod.audit.bundle.v2';
/**
 * Format tag of bundles written before scopes were signed. Still read, but their scope (which records the
 * bundle claims to hold) is anyone's word: they verify only with `allowUnsignedScope`, and never as complete.
 */
export const LEGACY_BUNDLE_FORMAT = 'mod.audit.bundle.v1';
/** Domain-separation label inside a scope signature's bytes (never valid as a tree-head signature). */
export const BUNDLE_SCOPE_FORMAT = 'mod.audit.bundle-scope.v1';
/** Label of a `mod.audit.bundle.v3` scope signature: it also covers the log id and the key history. */
export const BUNDLE_SCOPE_FORMAT_V2 = 'mod.audit.bundle-scope.v2';

/**
 * One of the log's keys and the tree sizes of the heads it signed (`fromSize`..`toSize`; `toSize` null: the
 * key still signs). In a bundle the scope's signer vouches for the list, so a verifier trusting the current key
 * takes a head a rotated-out key signed inside its range, and no head that key signs beyond it.
 */
export interface KeyValidity {
  keyId: string;
  fromSize: number;
  toSize: number | null;
}

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
  /**
   * The erasable free text of a record that commits to it (`commitments`), by field: the text with its salt
   * (hex), which must hash to the commitment, or when it was erased. Absent for legacy records.
   */
  texts?: Record<string, RecordText>;
}

/** An export bundle: one JSON file an authority can check offline with `verifyBundle`. */
export interface AuditBundle {
  format: typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V2 | typeof LEGACY_BUNDLE_FORMAT;
  /** v3: the log the bundle is of (the head's own `logId` when it has one), covered by the scope signature. */
  logId?: string;
  /** v3: the log's keys and the sizes each signed, covered by the scope signature. */
  keyHistory?: KeyValidity[];
  scope: BundleScope;
  /** Present in every `mod.audit.bundle.v2` and v3 bundle; absent from legacy ones. */
  scopeSignature?: ScopeSignature;
  treeHead: SignedTreeHead;
  /** The log's public keys: key id and base64 SPKI DER. */
  publicKeys: { keyId: string; spki: string }[];
  entries: BundleEntry[];
}

/** A bundle with its scope signed: `mod.audit.bundle.v3` as this version writes it (or a v2 one). */
export type SignedAuditBundle = AuditBundle & {
  format: typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V2;
  scopeSignature: ScopeSignature;
};

/** A bundle as the log writes it: `mod.audit.bundle.v3`, naming its log and key history. */
export type LogAuditBundle = SignedAuditBundle & {
  format: typeof BUNDLE_FORMAT;
  logId: string;
  keyHistory: KeyValidity[];
};
