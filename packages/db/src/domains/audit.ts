/** `@mod/db/audit`: The tamper-evident audit log: append, proofs, signed tree heads, scoped reads, export bundles and verification. */
export * from '../audit.js';
export { createPgMerkleStore, nextPeaks } from '../audit-store.js';
export { MerkleNodeCache } from '../audit-node-cache.js';
export { AuditLogError, AuditLogErrorCode } from '../audit-errors.js';
export * from '../audit-heads.js';
export * from '../audit-key-history.js';
export * from '../audit-proofs.js';
export * from '../audit-scope.js';
export * from '../audit-signer.js';
export * from '../audit-verify.js';
export * from '../audit-texts.js';
export * from '../audit-text-retention.js';
export type {
  AuditBundle,
  AuditRecord,
  BundleEntry,
  PublicKeyInfo,
  SignedTreeHead,
  SigningKey,
  TreeHeadSchedule,
} from '@mod/audit';
