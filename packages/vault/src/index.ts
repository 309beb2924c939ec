/**
 * `@mod/vault`: the evidence vault's pure core. Sealing (AES-256-GCM under a per-item data key, wrapped by a
 * master key from the environment), master keys and their rotation, what an item is and where it stands,
 * retention and legal hold rules, the custody records every change is audited with, and the `EvidenceStore`
 * interface. No I/O: the PostgreSQL store is `@mod/db/vault`, previews for reviewers `@mod/vault/preview` (sharp),
 * the in-memory store for unit tests `@mod/vault/testing`, previews measured for tests `@mod/vault/testing/preview`,
 * the photo, actors and clock the stores' tests share `@mod/vault/testing/evidence`.
 */
export { VaultError, VaultErrorCode, isVaultError } from './errors.js';
export {
  MASTER_KEY_BYTES,
  createMasterKeyring,
  masterKeyId,
  masterKeyProblem,
  parseMasterKey,
  requireMasterKey,
  requireSealingKey,
  type MasterKey,
  type MasterKeyring,
} from './master-keys.js';
export {
  SEAL_VERSION,
  openSealedEvidence,
  sealEvidence,
  sealForKeeping,
  sha256Hex,
  type EvidenceBinding,
  type SealedEvidence,
} from './envelope.js';
export {
  EvidenceReasons,
  EvidenceStates,
  checkEvidenceToKeep,
  evidenceItemId,
  evidenceState,
  mediaTypeOf,
  serviceActor,
  type EvidenceItem,
  type EvidenceMedia,
  type EvidenceReason,
  type EvidenceScope,
  type EvidenceState,
  type EvidenceToKeep,
  type LegalHold,
  type VaultActor,
} from './evidence.js';
export { destructionDue, destructionDueAt, destructionRule, type RetentionPolicy } from './retention.js';
export {
  HoldRefusals,
  releaseHoldRefusal,
  setHoldRefusal,
  type HoldRefusal,
  type HoldRequest,
} from './legal-hold.js';
export {
  EvidenceViews,
  destroyedRecord,
  holdReleasedRecord,
  holdSetRecord,
  keptRecord,
  openedRecord,
  type CustodyRecord,
  type EvidenceView,
} from './custody-records.js';
export { createKeeper } from './evidence-store.js';
export type {
  CaseClosing,
  CaseLink,
  EvidenceQuery,
  EvidenceStore,
  HoldOutcome,
  KeptEvidence,
  OpenRequest,
  OpenedEvidence,
  SweepReport,
} from './evidence-store.js';
export {
  defaultRetentionPolicy,
  keyringFromConfig,
  retentionFromConfig,
  vaultKeySpec,
  vaultRetentionSpec,
} from './config.js';
