/**
 * `@mod/vault`: the evidence vault's pure core. Sealing (AES-256-GCM under a per-item data key, wrapped by a
 * master key from the environment), master keys and their rotation, what an item is and where it stands,
 * retention and legal hold rules, the custody records every change is audited with, and the `EvidenceStore`
 * interface. No I/O: the PostgreSQL store is `@mod/db/vault`, previews for reviewers `@mod/vault/preview` (sharp),
 * the in-memory store for unit tests `@mod/vault/testing`, previews measured for tests `@mod/vault/testing/preview`,
 * the photo, actors and clock the stores' tests share `@mod/vault/testing/evidence`.
 */
// Each module's exports are all public: re-exported whole (as @mod/db's domains are), a name is listed once,
// where it is declared.
export * from './errors.js';
export * from './master-keys.js';
export * from './envelope.js';
export * from './evidence.js';
export * from './retention.js';
export * from './legal-hold.js';
export * from './custody-records.js';
export * from './evidence-store.js';
export * from './config.js';
