import { randomBytes } from 'node:crypto';
import {
  destroyedRecord,
  holdReleasedRecord,
  holdSetRecord,
  keptRecord,
  openedRecord,
  type CustodyRecord,
} from './custody-records.js';
import { openSealedEvidence, sealForKeeping, type SealedEvidence } from './envelope.js';
import { VaultError, VaultErrorCode } from './errors.js';
import {
  checkEvidenceToKeep,
  evidenceItemId,
  evidenceState,
  EvidenceStates,
  type EvidenceItem,
  type EvidenceScope,
  type EvidenceState,
} from './evidence.js';
import type { EvidenceStore } from './evidence-store.js';
import { releaseHoldRefusal, setHoldRefusal } from './legal-hold.js';
import { createMasterKeyring, type MasterKeyring } from './master-keys.js';
import { destructionDue, destructionRule } from './retention.js';

/**
 * `@mod/vault/testing`: the evidence store in memory, for unit tests of the steps and routes that use the vault
 * (the scanner's and classifier's, the review cases'). It seals and opens exactly as the PostgreSQL store does;
 * what it cannot know is orders, so an authority's scope is its own tenant's items and those it holds.
 */
export interface MemoryEvidenceStore extends EvidenceStore {
  /** Every custody record appended, in order (the PostgreSQL store appends them to the audit log). */
  readonly audits: readonly CustodyRecord[];
  /** The sealed form of an item as stored (null once destroyed), and a way to change it (tamper tests). */
  sealed(id: string): SealedEvidence | null;
  replaceSealed(id: string, sealed: SealedEvidence): void;
}

export interface MemoryEvidenceStoreOptions {
  /** Default: a fresh random master key, for a test that needs no key of its own. */
  keyring?: MasterKeyring;
  /** Largest item kept, bytes. Default 12 MiB (the media limit). */
  maxBytes?: number;
}

export const DEFAULT_MAX_EVIDENCE_BYTES = 12 * 1024 * 1024;

/** A keyring whose current key is fresh and random: for tests that need a vault but no key of their own. */
export const randomKeyring = (): MasterKeyring =>
  createMasterKeyring({ current: randomBytes(32).toString('base64') });

function visible(item: EvidenceItem, scope: EvidenceScope): boolean {
  if (scope.all) return true;
  if ('tenantId' in scope) return item.tenantId === scope.tenantId;
  // No cases here: a bound reviewer reads the items of its own tenant's content only.
  if ('reviewerTenantId' in scope) return item.tenantId === scope.reviewerTenantId;
  return (
    item.tenantId === scope.authorityTenantId || item.legalHold?.authorityTenantId === scope.authorityTenantId
  );
}

export function createMemoryEvidenceStore(options: MemoryEvidenceStoreOptions = {}): MemoryEvidenceStore {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVIDENCE_BYTES;
  const keyring = options.keyring ?? randomKeyring();
  const items = new Map<string, EvidenceItem>();
  const sealedItems = new Map<string, SealedEvidence>();
  const audits: CustodyRecord[] = [];
  const copy = (item: EvidenceItem): EvidenceItem => ({
    ...item,
    legalHold: item.legalHold === null ? null : { ...item.legalHold },
  });
  const find = (id: string, scope: EvidenceScope) => {
    const item = items.get(id);
    return item !== undefined && visible(item, scope) ? item : null;
  };

  return {
    audits,
    sealed: (id) => sealedItems.get(id) ?? null,
    replaceSealed(id, sealed) {
      sealedItems.set(id, sealed);
    },

    async keep(input) {
      checkEvidenceToKeep(input, maxBytes);
      const id = evidenceItemId(input.tenantId, input.submissionId);
      const kept = items.get(id);
      if (kept !== undefined) return { item: copy(kept), created: false };
      const { sha256, mediaType, sealed } = sealForKeeping(input, id, keyring);
      const item: EvidenceItem = {
        id,
        tenantId: input.tenantId,
        submissionId: input.submissionId,
        sha256,
        mediaType,
        sizeBytes: input.bytes.byteLength,
        reason: input.reason,
        masterKeyId: sealed.masterKeyId,
        createdAt: input.at.toISOString(),
        caseId: null,
        linkedAt: null,
        caseClosedAt: null,
        legalHold: null,
        destroyedAt: null,
      };
      items.set(id, item);
      sealedItems.set(id, sealed);
      audits.push(keptRecord(item, input.by));
      return { item: copy(item), created: true };
    },

    async get(id, scope) {
      const item = find(id, scope);
      return item === null ? null : copy(item);
    },

    async list(q) {
      return [...items.values()]
        .filter((i) => visible(i, q.scope))
        .filter((i) => q.submissionId === undefined || i.submissionId === q.submissionId)
        .filter((i) => q.caseId === undefined || i.caseId === q.caseId)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
        .slice(0, q.limit)
        .map(copy);
    },

    async open(id, request) {
      const item = find(id, request.scope);
      if (item === null) return null;
      const sealed = sealedItems.get(id);
      if (item.destroyedAt !== null || sealed === undefined)
        throw new VaultError(
          VaultErrorCode.DESTROYED,
          `evidence ${id} was destroyed at ${item.destroyedAt ?? '?'}`,
        );
      audits.push(openedRecord(item, request.by, request.view));
      const bytes = openSealedEvidence(
        sealed,
        { itemId: id, tenantId: item.tenantId, sha256: item.sha256 },
        keyring,
      );
      return { item: copy(item), bytes };
    },

    async linkCase(link) {
      let n = 0;
      for (const item of items.values()) {
        if (item.submissionId !== link.submissionId || item.destroyedAt !== null) continue;
        if (item.caseId === link.caseId && item.caseClosedAt === null) continue;
        item.caseId = link.caseId;
        item.linkedAt = link.at.toISOString();
        item.caseClosedAt = null;
        n++;
      }
      return n;
    },

    async closeCase(closing) {
      let n = 0;
      for (const item of items.values()) {
        const named =
          'caseId' in closing ? item.caseId === closing.caseId : item.submissionId === closing.submissionId;
        if (!named || item.caseId === null || item.caseClosedAt !== null || item.destroyedAt !== null)
          continue;
        item.caseClosedAt = closing.at.toISOString();
        n++;
      }
      return n;
    },

    async setLegalHold(id, scope, request) {
      const item = find(id, scope);
      const refusal = setHoldRefusal(item, request);
      if (refusal !== null || item === null)
        return { ok: false, refusal: refusal ?? 'not-found', item: item === null ? null : copy(item) };
      item.legalHold = {
        by: request.by.actor.id,
        authorityTenantId: request.authorityTenantId,
        reason: request.reason,
        at: request.at.toISOString(),
      };
      audits.push(holdSetRecord(item, request.by, request.reason));
      return { ok: true, item: copy(item) };
    },

    async releaseLegalHold(id, scope, request) {
      const item = find(id, scope);
      const refusal = releaseHoldRefusal(item, request);
      if (refusal !== null || item === null || item.legalHold === null)
        return { ok: false, refusal: refusal ?? 'not-held', item: item === null ? null : copy(item) };
      const heldFor = item.legalHold.authorityTenantId;
      item.legalHold = null;
      audits.push(holdReleasedRecord(item, request.by, request.reason, heldFor));
      return { ok: true, item: copy(item) };
    },

    async sweep(policy, now, by, batchSize = 100) {
      const due = [...items.values()]
        .filter((i) => destructionDue(i, policy, now))
        .sort((a, b) => a.id.localeCompare(b.id))
        .slice(0, batchSize);
      for (const item of due) {
        const rule = destructionRule(item, policy);
        item.destroyedAt = now.toISOString();
        sealedItems.delete(item.id);
        audits.push(destroyedRecord(item, by, rule));
      }
      return { destroyed: due.length, ids: due.map((i) => i.id) };
    },

    async countByState() {
      const counts = Object.fromEntries(EvidenceStates.map((s) => [s, 0])) as Record<EvidenceState, number>;
      for (const item of items.values()) counts[evidenceState(item)]++;
      return counts;
    },
  };
}
