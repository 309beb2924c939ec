export { AuditError, AuditErrorCode, InvalidRecordError } from './errors.js';
export { CANONICAL_MAX_DEPTH, canonicalJson, canonicalBytes, parseCanonicalJson } from './canonical.js';
export { duplicateJsonKey, parseStrictJson } from './strict-json.js';
export {
  ActorKind,
  RECORD_LIMITS,
  validateRecord,
  buildRecord,
  encodeRecord,
  decodeRecord,
  type AuditRecord,
  type AuditRecordDraft,
  type EncodedRecord,
} from './record.js';
export {
  COMMITTED_FIELDS,
  TEXT_COMMITMENT_LABEL,
  checkRecordTexts,
  commitText,
  isErasable,
  isRecordText,
  newTextSalt,
  type RecordText,
} from './texts.js';
export {
  toAuditDraft,
  auditRefsOf,
  normaliseId,
  normaliseAction,
  toJsonValue,
  committableText,
  type CommittedText,
  type AuditEntry,
  type EvidenceDocument,
  type NormalisedEntry,
} from './entry.js';
export {
  HASH_BYTES,
  EMPTY_ROOT,
  hashLeaf,
  hashChildren,
  splitPoint,
  rangeNodes,
  foldNodes,
  rootPlan,
  inclusionPlan,
  consistencyPlan,
  planNodeIds,
  assembleProof,
  hashesEqual,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
  toHex,
  fromHex,
  type NodeId,
  type ProofElement,
} from './merkle.js';
export {
  peakIds,
  computeAppendNodes,
  createMemoryMerkleStore,
  type MerkleStore,
  type StoredNode,
  type MemoryMerkleStoreOptions,
} from './store.js';
export { createMerkleTree, readPlanNodes, type MerkleTree } from './tree.js';
export {
  TREE_HEAD_FORMAT,
  TREE_HEAD_FORMAT_V2,
  LOG_ID_PATTERN,
  KEY_ID_BYTES,
  SIGNING_KEY_ENV,
  treeHeadSigningBytes,
  computeKeyId,
  publicKeySpkiBase64,
  generateSigningKeyPair,
  loadSigningKey,
  signingKeyFromEnv,
  loadPublicKey,
  signTreeHead,
  verifyTreeHead,
  isTreeHeadDue,
  type TreeHead,
  type SignedTreeHead,
  type PublicKeyInfo,
  type SigningKey,
  type TreeHeadCheck,
  type TreeHeadSchedule,
} from './sth.js';
export { signedTreeHeadOf } from './bundle-shape.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V2,
  LEGACY_BUNDLE_FORMAT,
  BUNDLE_SCOPE_FORMAT,
  BUNDLE_SCOPE_FORMAT_V2,
  type KeyValidity,
  type LogAuditBundle,
  type ScopeSignature,
  type SignedAuditBundle,
  type AuditBundle,
  type BundleEntry,
  type BundleScope,
} from './bundle-format.js';
export { bundleScopeSigningBytes, signBundleScope, type LogBinding } from './bundle-scope.js';
export { checkBundleTrust, type BundleTrust, type TrustProblem, type TrustOptions } from './bundle-trust.js';
export {
  historyHandovers,
  keyForHead,
  keyHandovers,
  type HandedOverKey,
  type HistoryHandovers,
} from './key-handover.js';
export { createBundle, type CreateBundleInput } from './bundle.js';
export {
  VERIFY_REASON_CODES,
  VerifyReason,
  verifyBundle,
  type BundleVerification,
  type BadRecord,
  type VerifyBundleOptions,
} from './bundle-verify.js';
export {
  prepareRecords,
  createMemoryAuditLog,
  type MemoryAuditLog,
  type MemoryAuditLogOptions,
} from './log.js';
