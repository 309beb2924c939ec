import {
  VaultError,
  VaultErrorCode,
  checkEvidenceToKeep,
  evidenceItemId,
  holdReleasedRecord,
  holdSetRecord,
  keptRecord,
  openSealedEvidence,
  openedRecord,
  releaseHoldRefusal,
  createKeeper,
  sealForKeeping,
  setHoldRefusal,
  type EvidenceMedia,
  type EvidenceReason,
  type EvidenceScope,
  type EvidenceStore,
  type HoldOutcome,
  type HoldRequest,
  type MasterKeyring,
} from '@mod/vault';
import { appendAudit } from './audit.js';
import { toDatabaseError } from './errors.js';
import {
  closeEvidenceCase,
  countEvidenceByState,
  linkEvidenceToCase,
  sweepEvidence,
} from './evidence-retention.js';
import {
  EVIDENCE_COLUMNS,
  SEALED_COLUMNS,
  evidenceScopeArgs,
  evidenceScopeWhere,
  getEvidenceItem,
  toEvidenceItem,
  toSealedEvidence,
  type EvidenceRow,
  type SealedRow,
} from './evidence-rows.js';
import { queryOne, withTransaction, type Pool, type PoolClient } from './pool.js';

export interface PgEvidenceStoreOptions {
  /** Master keys: the current one seals, every one opens (`keyringFromConfig`). */
  keyring: MasterKeyring;
  /** Largest item kept, bytes. Default 12 MiB (the media limit). */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 12 * 1024 * 1024;

/**
 * The evidence vault on PostgreSQL (table `evidence_items`, migration 0018): `@mod/vault`'s `EvidenceStore`. Every
 * change and every opening commits with its custody record in the audit log. Sealing happens before the
 * transaction (it needs no lock), so a transaction holds the audit lock only as long as it takes to write a row.
 */
export function createPgEvidenceStore(pool: Pool, options: PgEvidenceStoreOptions): EvidenceStore {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const all = { all: true } as const;

  /** The row locked for a legal hold change, as `scope` may see it. */
  const lockForHold = async (c: PoolClient, id: string, scope: EvidenceScope) => {
    return queryOne(
      c,
      `/* vault:lock-for-hold */ select ${EVIDENCE_COLUMNS} from evidence_items e
       where e.id = $1 and ${evidenceScopeWhere(2)} for update of e`,
      [id, ...evidenceScopeArgs(scope)],
      toEvidenceItem,
    );
  };

  return {
    async keep(input) {
      checkEvidenceToKeep(input, maxBytes);
      const id = evidenceItemId(input.tenantId, input.submissionId);
      // A redelivery finds the item and seals nothing (the common case of a retry).
      const kept = await getEvidenceItem(pool, id, all);
      if (kept !== null) return { item: kept, created: false };
      const { sha256, mediaType, sealed } = sealForKeeping(input, id, options.keyring);
      return withTransaction(pool, async (c) => {
        const { rows } = await c.query<EvidenceRow>(
          // Normally the case opens after its evidence is kept (its trigger links them); a case that is already
          // there (the vault was off when it opened) is named here.
          `/* vault:keep */ insert into evidence_items as e (id, tenant_id, submission_id, sha256, media_type,
             size_bytes, reason, ciphertext, data_nonce, data_tag, wrapped_key, key_nonce, key_tag, master_key_id,
             seal_version, created_at, case_id, linked_at, case_closed_at)
           select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, c.id, c.created_at,
             case when c.status = 'closed' then coalesce(c.closed_at, $16) end
           from (select 1) one left join lateral (select id, created_at, status, closed_at from cases
             where submission_id = $3 order by created_at desc, id limit 1) c on true
           on conflict do nothing returning ${EVIDENCE_COLUMNS}`,
          [
            id,
            input.tenantId,
            input.submissionId,
            sha256,
            mediaType,
            input.bytes.byteLength,
            input.reason,
            sealed.ciphertext,
            sealed.dataNonce,
            sealed.dataTag,
            sealed.wrappedKey,
            sealed.keyNonce,
            sealed.keyTag,
            sealed.masterKeyId,
            sealed.sealVersion,
            input.at,
          ],
        );
        const inserted = rows[0];
        if (inserted === undefined) {
          // A concurrent delivery kept it first.
          const item = await getEvidenceItem(c, id, all);
          if (item === null) throw new Error(`evidence ${id} conflicted but is not there`);
          return { item, created: false };
        }
        const item = toEvidenceItem(inserted);
        await appendAudit(c, keptRecord(item, input.by));
        return { item, created: true };
      });
    },

    get: (id, scope) => getEvidenceItem(pool, id, scope),

    async list(q) {
      const { rows } = await pool.query<EvidenceRow>(
        `/* vault:list */ select ${EVIDENCE_COLUMNS} from evidence_items e
         where ${evidenceScopeWhere(1)} and ($5::uuid is null or e.submission_id = $5)
           and ($6::uuid is null or e.case_id = $6)
         order by e.created_at desc, e.id desc limit $7`,
        [...evidenceScopeArgs(q.scope), q.submissionId ?? null, q.caseId ?? null, q.limit],
      );
      return rows.map(toEvidenceItem);
    },

    async open(id, request) {
      const row = await withTransaction(pool, async (c) => {
        const { rows } = await c.query<SealedRow>(
          `/* vault:open */ select ${EVIDENCE_COLUMNS}, ${SEALED_COLUMNS} from evidence_items e
           where e.id = $1 and ${evidenceScopeWhere(2)}`,
          [id, ...evidenceScopeArgs(request.scope)],
        );
        const found = rows[0];
        if (found === undefined) return null;
        if (found.destroyed_at !== null)
          throw new VaultError(
            VaultErrorCode.DESTROYED,
            `evidence ${id} was destroyed at ${found.destroyed_at.toISOString()}`,
          );
        // The view is on record before the bytes leave the vault, even if they then fail to open.
        await appendAudit(c, openedRecord(toEvidenceItem(found), request.by, request.view));
        return found;
      });
      if (row === null) return null;
      const item = toEvidenceItem(row);
      const sealed = toSealedEvidence(row);
      if (sealed === null)
        throw new VaultError(VaultErrorCode.TAMPERED, `evidence ${id} lost its sealed columns`);
      const bytes = openSealedEvidence(
        sealed,
        { itemId: id, tenantId: item.tenantId, sha256: item.sha256 },
        options.keyring,
      );
      return { item, bytes };
    },

    linkCase: (link) => linkEvidenceToCase(pool, link),
    closeCase: (closing) => closeEvidenceCase(pool, closing),

    setLegalHold: (id, scope, request: HoldRequest) =>
      withTransaction(pool, async (c): Promise<HoldOutcome> => {
        const item = await lockForHold(c, id, scope);
        const refusal = setHoldRefusal(item, request);
        if (refusal !== null) return { ok: false, refusal, item };
        const { rows } = await c.query<EvidenceRow>(
          `/* vault:set-hold */ update evidence_items e set hold_by = $2, hold_authority_tenant_id = $3,
             hold_reason = $4, hold_at = $5 where e.id = $1 returning ${EVIDENCE_COLUMNS}`,
          [id, request.by.actor.id, request.authorityTenantId, request.reason, request.at],
        );
        const held = toEvidenceItem(rows[0]!);
        await appendAudit(c, holdSetRecord(held, request.by, request.reason));
        return { ok: true, item: held };
      }),

    releaseLegalHold: (id, scope, request: HoldRequest) =>
      withTransaction(pool, async (c): Promise<HoldOutcome> => {
        const item = await lockForHold(c, id, scope);
        const refusal = releaseHoldRefusal(item, request);
        if (refusal !== null || item === null || item.legalHold === null)
          return { ok: false, refusal: refusal ?? 'not-held', item };
        const { rows } = await c.query<EvidenceRow>(
          `/* vault:release-hold */ update evidence_items e set hold_by = null, hold_authority_tenant_id = null,
             hold_reason = null, hold_at = null where e.id = $1 returning ${EVIDENCE_COLUMNS}`,
          [id],
        );
        const released = toEvidenceItem(rows[0]!);
        await appendAudit(
          c,
          holdReleasedRecord(released, request.by, request.reason, item.legalHold.authorityTenantId),
        );
        return { ok: true, item: released };
      }),

    sweep: (policy, now, by, batchSize) =>
      sweepEvidence(pool, { policy, now, by, batchSize: batchSize ?? 100 }),
    countByState: () => countEvidenceByState(pool),
  };
}

export interface EvidenceKeeperOptions extends PgEvidenceStoreOptions {
  /** The worker that keeps (its custody records name it as a service). */
  service: string;
  reason: EvidenceReason;
  now?: () => Date;
}

/**
 * How a worker keeps media that needs a person: `keep` on the PostgreSQL store with the worker named in the
 * custody record, database failures classified (`MOD_ERR_DB_UNAVAILABLE` retries, the rest dead-letters), vault
 * refusals (`MOD_ERR_VAULT_*`) passed on. Null when the keyring has no current key: the vault is off.
 */
export function createEvidenceKeeper(
  pool: Pool,
  options: EvidenceKeeperOptions,
): ((media: EvidenceMedia) => Promise<void>) | null {
  if (options.keyring.current === null) return null;
  const keep = createKeeper(createPgEvidenceStore(pool, options), options);
  return async (media) => {
    try {
      await keep(media);
    } catch (err) {
      throw err instanceof VaultError ? err : toDatabaseError(err, 'keep evidence');
    }
  };
}
