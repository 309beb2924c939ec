import type { EvidenceView } from './custody-records.js';
import type {
  EvidenceItem,
  EvidenceMedia,
  EvidenceReason,
  EvidenceScope,
  EvidenceState,
  EvidenceToKeep,
  VaultActor,
} from './evidence.js';
import { serviceActor } from './evidence.js';
import type { HoldRefusal, HoldRequest } from './legal-hold.js';
import type { RetentionPolicy } from './retention.js';

/** What `keep` did: the item, and whether this call sealed it (false: it was kept before, nothing was sealed). */
export interface KeptEvidence {
  item: EvidenceItem;
  created: boolean;
}

/** An opened item: its metadata and its plaintext (in memory only; never logged, never published). */
export interface OpenedEvidence {
  item: EvidenceItem;
  bytes: Buffer;
}

/** A request to open an item's bytes; the store records it as an audit record before it returns them. */
export interface OpenRequest {
  scope: EvidenceScope;
  by: VaultActor;
  view: EvidenceView;
  at: Date;
}

export interface EvidenceQuery {
  scope: EvidenceScope;
  submissionId?: string;
  caseId?: string;
  /** At most this many, newest first. */
  limit: number;
}

/** A legal hold set or released, or why not (the item as the caller may see it, when it exists). */
export type HoldOutcome =
  | { ok: true; item: EvidenceItem }
  | { ok: false; refusal: HoldRefusal; item: EvidenceItem | null };

/** Which case an item becomes evidence for, or which case (or submission) closed. */
export type CaseLink = { submissionId: string; caseId: string; at: Date };
export type CaseClosing = ({ caseId: string } | { submissionId: string }) & { at: Date };

/** What one retention pass destroyed. */
export interface SweepReport {
  destroyed: number;
  /** Ids destroyed, in the order they were. */
  ids: string[];
}

/**
 * The evidence vault behind a small interface: PostgreSQL in the services (`@mod/db/vault`), in memory in unit
 * tests (`@mod/vault/testing`). Reads take a scope: an item outside it is reported as absent (`null`), like one that
 * does not exist. Every change and every opening of an item's bytes is an audit record, committed with it.
 */
export interface EvidenceStore {
  /**
   * Seals the bytes and keeps them, once per (tenant, submission): a second call (a redelivered message) answers
   * the item kept first and seals nothing. Throws `MOD_ERR_VAULT_INVALID_ITEM` for bad input,
   * `MOD_ERR_VAULT_KEY_MATERIAL` when the store has no master key to seal with.
   */
  keep(input: EvidenceToKeep): Promise<KeptEvidence>;
  /** An item's metadata, destroyed or not. */
  get(id: string, scope: EvidenceScope): Promise<EvidenceItem | null>;
  list(query: EvidenceQuery): Promise<EvidenceItem[]>;
  /**
   * The item's bytes, audited as `request.view` by `request.by`; null when absent or out of scope. Throws
   * `MOD_ERR_VAULT_DESTROYED` once retention destroyed it (answer 410 Gone),
   * `MOD_ERR_VAULT_MASTER_KEY_UNKNOWN` when sealed under a key this process lacks, `MOD_ERR_VAULT_TAMPERED`.
   */
  open(id: string, request: OpenRequest): Promise<OpenedEvidence | null>;
  /**
   * Names the case a submission's evidence is for (the retention clock stops until it closes); a closed item
   * linked again (a case reopened or a new one) waits for that case. Answers the items linked.
   */
  linkCase(link: CaseLink): Promise<number>;
  /** Starts the retention clock of the items of a case (or of a submission) at `at`. Answers the items changed. */
  closeCase(closing: CaseClosing): Promise<number>;
  /** Sets (or renews) an authority's legal hold, audited. */
  setLegalHold(id: string, scope: EvidenceScope, request: HoldRequest): Promise<HoldOutcome>;
  /** Releases a legal hold, audited: retention applies again from the next sweep. */
  releaseLegalHold(id: string, scope: EvidenceScope, request: HoldRequest): Promise<HoldOutcome>;
  /**
   * Destroys (bytes and wrapped data key set to nothing; the metadata stays) at most `batchSize` items whose
   * retention ended by `now` and that are not under legal hold, each with an audit record by `by`.
   */
  sweep(policy: RetentionPolicy, now: Date, by: VaultActor, batchSize?: number): Promise<SweepReport>;
  /** How many items stand in each state (the `mod_vault_items{state}` gauge). */
  countByState(): Promise<Record<EvidenceState, number>>;
}

/**
 * How a worker keeps the media it has in hand: `keep` with the worker named (a service) in the custody record and
 * the reason it keeps for. `@mod/db/vault`'s `createEvidenceKeeper` is this on PostgreSQL, errors classified.
 */
export function createKeeper(
  store: Pick<EvidenceStore, 'keep'>,
  o: { service: string; reason: EvidenceReason; now?: () => Date },
): (media: EvidenceMedia) => Promise<KeptEvidence> {
  const now = o.now ?? (() => new Date());
  const by = serviceActor(o.service);
  return (media) => store.keep({ ...media, reason: o.reason, by, at: now() });
}
