/** `@mod/db/vault`: the evidence vault's store on PostgreSQL (`@mod/vault`'s `EvidenceStore`), and the case links other domains write in their own transactions. */
export {
  createEvidenceKeeper,
  createPgEvidenceStore,
  type EvidenceKeeperOptions,
  type PgEvidenceStoreOptions,
} from '../evidence-vault.js';
export {
  closeEvidenceCase,
  countEvidenceByState,
  linkEvidenceToCase,
  sweepEvidence,
  type SweepOptions,
} from '../evidence-retention.js';
export { getEvidenceItem } from '../evidence-rows.js';
