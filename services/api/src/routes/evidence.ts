import { Type, type Static } from '@fastify/type-provider-typebox';
import type { Principal, Role } from '@mod/db/access';
import {
  destructionDueAt,
  evidenceState,
  EvidenceReasons,
  EvidenceStates,
  isVaultError,
  VaultErrorCode,
  type EvidenceItem,
  type EvidenceScope,
  type EvidenceStore,
  type HoldOutcome,
  type HoldRequest,
  type RetentionPolicy,
} from '@mod/vault';
import { auditActorOf, principalOf } from '../auth.js';
import { ApiError, evidenceGone, notFound } from '../errors.js';
import { caseScopeFor } from './cases-common.js';
import { COMMAND_ROUTE_HOOKS } from './order-commands.js';
import {
  ErrorResponses,
  MAX_PAGE,
  Nullable,
  Text,
  Timestamp,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';

/** What the evidence routes use besides the common deps. */
export interface EvidenceRouteDeps extends RouteDeps {
  /** The vault (`@mod/db/vault`); metadata and holds need no master key, `verify` does. */
  vault: EvidenceStore;
  /** Whether this API holds master keys (`MOD_VAULT_MASTER_KEY`, `MOD_VAULT_PREVIOUS_KEYS`): `verify` opens items. */
  vaultOpens: boolean;
  /** The retention policy the actioner sweeps with (shown as `destroyAfter`). */
  retention: RetentionPolicy;
}

/**
 * Roles that read every item (a reviewer only of the operator's tenants, hotline or admin); an authority reads its own
 * tenant's, those it holds, those behind its orders.
 */
const EVIDENCE_OVERSIGHT: readonly Role[] = ['reviewer', 'admin'];
const readers = {
  roles: ['authority', 'reviewer', 'admin'],
  tenant: 'own',
  crossTenant: EVIDENCE_OVERSIGHT,
} as const;
/** Legal holds are an authority's (or an admin's); the check of an item's integrity too. */
export const holders = { roles: ['authority', 'admin'], tenant: 'own', crossTenant: ['admin'] } as const;

const nullableTime = Nullable(Timestamp);
const EvidenceBody = Type.Object(
  {
    id: Uuid,
    tenantId: Type.String(),
    submissionId: Uuid,
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    mediaType: Type.String(),
    sizeBytes: Type.Integer(),
    reason: Type.Union(EvidenceReasons.map((r) => Type.Literal(r))),
    masterKeyId: Type.String(),
    state: Type.Union(EvidenceStates.map((s) => Type.Literal(s))),
    createdAt: Timestamp,
    caseId: Nullable(Uuid),
    linkedAt: nullableTime,
    caseClosedAt: nullableTime,
    legalHold: Type.Union([
      Type.Object(
        { by: Type.String(), authorityTenantId: Type.String(), reason: Type.String(), at: Timestamp },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    destroyedAt: nullableTime,
    /** When retention destroys it as things stand (null: never while its case is open or it is held). */
    destroyAfter: nullableTime,
  },
  { additionalProperties: false, description: 'An evidence item: metadata only, never its bytes or keys.' },
);
type EvidenceBody = Static<typeof EvidenceBody>;

const EvidenceParams = Type.Object({ id: Uuid }, { additionalProperties: false });
/** A hold change's body: why (required). */
export const HoldBody = Type.Object({ reason: Text(2000) }, { additionalProperties: false });
const VerifyBody = Type.Object(
  {
    id: Uuid,
    /** The bytes decrypt under their wrapped key, authenticate against the item, and hash to its sha256. */
    intact: Type.Boolean(),
    sha256: Type.String(),
    sizeBytes: Type.Integer(),
    masterKeyId: Type.String(),
    /** Why not intact (`MOD_ERR_VAULT_TAMPERED`); null when intact. */
    failure: Nullable(Type.String()),
    verifiedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** 409: a legal hold change that does not apply (another authority's hold, or none to release). */
export const legalHoldConflict = (message: string) =>
  new ApiError(409, 'MOD_ERR_API_LEGAL_HOLD_CONFLICT', message);
const vaultKeyMissing = () =>
  new ApiError(
    503,
    'MOD_ERR_API_VAULT_KEY_MISSING',
    'this API does not hold the master key the evidence was sealed under',
  );

/**
 * Oversight every item; a reviewer bound to its tenant (`isTenantBoundReviewer`) the items of the cases it may read
 * (`caseScopeFor`: the evidence follows the case) and, an authority's, what its authority reads; an authority its
 * own tenant's items, those it holds and those behind its orders.
 */
function evidenceScopeFor(p: Principal): EvidenceScope {
  const cases = caseScopeFor(p);
  if (!cases.all && 'reviewerTenantId' in cases) return cases;
  return EVIDENCE_OVERSIGHT.includes(p.role) ? { all: true } : { all: false, authorityTenantId: p.tenantId };
}

/** A caller's hold change: kept for its own authority tenant; an admin may release another's. */
export const holdRequest = (p: Principal, reason: string, at: Date): HoldRequest => ({
  by: { actor: auditActorOf(p), role: p.role, tenantId: p.tenantId },
  authorityTenantId: p.tenantId,
  mayOverride: p.role === 'admin',
  reason,
  at,
});

/**
 * The evidence vault for oversight: items' metadata (never their bytes: previews and reveals are the review
 * cases' routes), legal holds by an authority (or an admin) with a reason, and an integrity check that opens an
 * item on the server and answers whether it is intact. Every hold, release and check is an audit record,
 * committed with it by the vault. Destroyed evidence answers 410 where its bytes are asked for.
 */
export async function evidenceRoutes(app: TypedApp, deps: EvidenceRouteDeps): Promise<void> {
  const body = (item: EvidenceItem): EvidenceBody => ({
    ...item,
    state: evidenceState(item),
    destroyAfter: destructionDueAt(item, deps.retention)?.toISOString() ?? null,
  });
  const held = (outcome: HoldOutcome): EvidenceBody => {
    if (outcome.ok) return body(outcome.item);
    switch (outcome.refusal) {
      case 'not-found':
        throw notFound('evidence');
      case 'destroyed':
        throw evidenceGone();
      case 'held-by-another-authority':
        throw legalHoldConflict(
          'another authority holds this evidence; only it (or an admin) releases the hold',
        );
      case 'not-held':
        throw legalHoldConflict('this evidence is not under legal hold');
    }
  };

  app.get(
    '',
    {
      config: readers,
      schema: {
        querystring: Type.Object(
          {
            submissionId: Type.Optional(Uuid),
            caseId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(EvidenceBody) }, { additionalProperties: false }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const { submissionId, caseId, limit } = req.query;
      const items = await deps.vault.list({
        scope: evidenceScopeFor(principalOf(req)),
        ...(submissionId === undefined ? {} : { submissionId }),
        ...(caseId === undefined ? {} : { caseId }),
        limit: limit ?? 50,
      });
      return { items: items.map(body) };
    },
  );

  app.get(
    '/:id',
    {
      config: readers,
      schema: { params: EvidenceParams, response: { 200: EvidenceBody, ...ErrorResponses } },
    },
    async (req) => {
      const item = await deps.vault.get(req.params.id, evidenceScopeFor(principalOf(req)));
      if (item === null) throw notFound('evidence');
      return body(item);
    },
  );

  // Setting and releasing a legal hold: the same caller, body and answer; only the vault's change differs.
  const holdChanges: [path: string, change: EvidenceStore['setLegalHold']][] = [
    ['/:id/legal-hold', (id, scope, request) => deps.vault.setLegalHold(id, scope, request)],
    ['/:id/legal-hold/release', (id, scope, request) => deps.vault.releaseLegalHold(id, scope, request)],
  ];
  for (const [path, change] of holdChanges)
    app.post(
      path,
      {
        config: holders,
        schema: {
          params: EvidenceParams,
          body: HoldBody,
          response: { 200: EvidenceBody, ...ErrorResponses },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return held(
          await change(req.params.id, evidenceScopeFor(p), holdRequest(p, req.body.reason, deps.now())),
        );
      },
    );

  app.post(
    '/:id/verify',
    {
      config: holders,
      ...COMMAND_ROUTE_HOOKS,
      schema: { params: EvidenceParams, response: { 200: VerifyBody, ...ErrorResponses } },
    },
    async (req) => {
      if (!deps.vaultOpens) throw vaultKeyMissing();
      const p = principalOf(req);
      const at = deps.now();
      const scope = evidenceScopeFor(p);
      try {
        const opened = await deps.vault.open(req.params.id, {
          scope,
          by: { actor: auditActorOf(p), role: p.role, tenantId: p.tenantId },
          view: 'verify',
          at,
        });
        if (opened === null) throw notFound('evidence');
        opened.bytes.fill(0);
        const { id, sha256, sizeBytes, masterKeyId } = opened.item;
        return {
          id,
          intact: true,
          sha256,
          sizeBytes,
          masterKeyId,
          failure: null,
          verifiedAt: at.toISOString(),
        };
      } catch (err) {
        if (isVaultError(err, VaultErrorCode.DESTROYED)) throw evidenceGone();
        if (isVaultError(err, VaultErrorCode.MASTER_KEY_UNKNOWN)) throw vaultKeyMissing();
        if (!isVaultError(err, VaultErrorCode.TAMPERED)) throw err;
        // The opening is on record; the answer says the item failed its check (the log says how).
        req.log.error({ err, evidenceId: req.params.id }, 'evidence failed its integrity check');
        const item = await deps.vault.get(req.params.id, scope);
        if (item === null) throw notFound('evidence');
        const { id, sha256, sizeBytes, masterKeyId } = item;
        return {
          id,
          intact: false,
          sha256,
          sizeBytes,
          masterKeyId,
          failure: err.code,
          verifiedAt: at.toISOString(),
        };
      }
    },
  );
}
