export { DatabaseError, MigrationError, isRetriablePgError, toDatabaseError } from './errors.js';
export {
  createPool,
  withTransaction,
  pingDatabase,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
} from './pool.js';
export { migrate, readMigrations, migrationsDir, type Migration } from './migrate.js';
export * from './tenants.js';
export { TenantFieldRules, satisfiesRule, expiresInFuture, type StringRule } from './tenant-rules.js';
export * from './banks.js';
export * from './submissions.js';
export * from './verdicts.js';
export * from './orders.js';
export * from './outbox.js';
export * from './audit.js';
export {
  toAuditDraft,
  normaliseId,
  normaliseAction,
  normaliseReason,
  toJsonValue,
  type EvidenceDocument,
  type NormalisedEntry,
} from './audit-normalise.js';
export { createPgMerkleStore, nextPeaks } from './audit-store.js';
export { MerkleNodeCache } from './audit-node-cache.js';
export { AuditLogError, AuditLogErrorCode } from './audit-errors.js';
export * from './audit-proofs.js';
export * from './audit-scope.js';
export * from './audit-signer.js';
export * from './audit-verify.js';
export type {
  AuditBundle,
  AuditRecord,
  BundleEntry,
  PublicKeyInfo,
  SignedTreeHead,
  SigningKey,
  TreeHeadSchedule,
} from '@mod/audit';
export { createTestSchema, type TestDatabase } from './testing.js';
export * from './bank-import.js';
export * from './classifications.js';
export * from './urls-lists.js';
export * from './urls-lists-curation.js';
export * from './feeds-store.js';
export * from './feeds-acks.js';
export * from './order-machine.js';
export * from './order-cases.js';
export * from './order-webhooks.js';
export * from './order-announce.js';
export {
  claimSubmission,
  countPendingMedia,
  createTenantDirectory,
  deletePublishedMedia,
  receiveMedia,
  refuseTenant,
  relayMediaOutbox,
  tenantStanding,
  TenantRefusal,
  type PendingMedia,
  type ReceiveResult,
  type ReceivedMedia,
  type TenantDirectory,
  type TenantStanding,
} from './intake.js';
