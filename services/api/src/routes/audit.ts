import { Type } from '@fastify/type-provider-typebox';
import { isModError } from '@mod/contracts';
import {
  AuditLogErrorCode,
  auditConsistencyProof,
  auditEvidence,
  auditInclusionProof,
  auditPublicKeys,
  auditRecordVisible,
  exportAuditBundle,
  latestTreeHead,
  treeHeadAt,
  type AuditExportScope,
  type AuditScope,
  type PublicKeyInfo,
  type RefusedHeadSink,
  type SigningKey,
} from '@mod/db/audit';
import type { Registry } from '@mod/telemetry';
import type { FastifyRequest } from 'fastify';
import { orderScopeOf } from '../auth.js';
import { ApiError, badRequest, notFound } from '../errors.js';
import { auditEraseRoutes, RecordTexts } from './audit-erase.js';
import { registerRefusedHeadMetric } from './audit-metrics.js';
import { ErrorResponses, Timestamp, type RouteDeps, type TypedApp } from './common.js';

/** Authorities and admins read the log's signed heads and consistency proofs: no record contents in them. */
const AUDIT_READERS = { roles: ['authority', 'admin'], tenant: 'none' } as const;
/**
 * Record contents (a record with its inclusion proof, its evidence documents, exports) are scoped like the
 * orders and submissions they describe (`AuditScope` in @mod/db): an authority reads the records about what
 * it may see; admins read every record. A record outside the scope answers 404, as if it did not exist.
 */
const RECORD_READERS = { roles: ['authority', 'admin'], tenant: 'order', crossTenant: ['admin'] } as const;

/** The audit scope of a request on a `RECORD_READERS` route. */
function auditScopeOf(req: FastifyRequest): AuditScope {
  const scope = orderScopeOf(req);
  if (scope.all) return { all: true };
  if ('authorityTenantId' in scope) return { all: false, authorityTenantId: scope.authorityTenantId };
  throw new Error('audit records are read by authorities and admins only');
}

/** What the audit routes use: the route deps and the log's signing key (exports sign their scope). */
export interface AuditRouteDeps extends RouteDeps {
  /** Null when the API has no signing key (MOD_AUDIT_SIGNING_KEY_PEM): exports then answer 503. */
  signingKey: SigningKey | null;
  /** Keys whose heads are the log's (`AuditKeys.trusted`): heads no one of them signed are never served. */
  trusted: readonly PublicKeyInfo[];
  /** Where `mod_api_audit_head_rows_refused_total` is registered (absent: refused rows are only logged). */
  registry?: Registry;
}

const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** An id a case refers to (order, submission, content digest): the opaque-id alphabet of audit records. */
const Ref = Type.String({ pattern: '^[A-Za-z0-9._:/+=-]{1,128}$' });

const Hex = Type.String({ pattern: '^[0-9a-f]*$' });
const TreeHead = Type.Object({
  treeSize: Size,
  rootHash: Hex,
  timestamp: Type.String(),
  keyId: Type.String(),
  logId: Type.Optional(
    Type.String({
      pattern: '^[0-9a-f]{32}$',
      description:
        'the log the head is of, signed with it (mod.audit.tree-head.v2); absent from legacy heads',
    }),
  ),
  signature: Type.String({ description: 'base64 Ed25519 signature over the canonical tree-head bytes' }),
});
const PublicKeys = Type.Array(Type.Object({ keyId: Type.String(), spki: Type.String() }));
const HeadBody = Type.Object({ treeHead: TreeHead, publicKeys: PublicKeys });
const Entry = Type.Object({
  leafIndex: Seq,
  leafHash: Hex,
  record: Type.String({ description: 'canonical JSON of the record: the exact leaf bytes' }),
  inclusionProof: Type.Array(Hex),
  texts: Type.Optional(RecordTexts),
});
/** What a bundle's scope says besides its records: what was asked for, and whose view of the log it is. */
const ScopeClaims = {
  refs: Type.Optional(Type.Array(Type.String())),
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  audience: Type.Optional(
    Type.String({ description: '`all` (admins), or `authority:<tenant>`: the records it may read' }),
  ),
};
const Bundle = Type.Object(
  {
    format: Type.Literal('mod.audit.bundle.v3'),
    logId: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the log the bundle is of (signed)' }),
    keyHistory: Type.Array(
      Type.Object({ keyId: Type.String(), fromSize: Size, toSize: Type.Union([Size, Type.Null()]) }),
      { description: 'the log keys and the head sizes each signed, signed with the scope' },
    ),
    scope: Type.Union([
      Type.Object({ kind: Type.Literal('range'), fromSeq: Seq, toSeq: Seq, ...ScopeClaims }),
      Type.Object({
        kind: Type.Literal('records'),
        seqs: Type.Array(Seq),
        label: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        fromSeq: Type.Optional(Seq),
        toSeq: Type.Optional(Seq),
        ...ScopeClaims,
      }),
    ]),
    scopeSignature: Type.Object(
      {
        keyId: Type.String(),
        signedAt: Type.String(),
        signature: Type.String({
          description:
            'base64 Ed25519 signature over the scope, the log id and key history, bound to the tree head (mod.audit.bundle-scope.v2)',
        }),
      },
      {
        description: 'the log key signs which records the bundle claims to hold: none can be removed unseen',
      },
    ),
    treeHead: TreeHead,
    publicKeys: PublicKeys,
    entries: Type.Array(Entry),
  },
  { description: 'export bundle: verify offline with `pnpm -s modctl audit verify FILE`' },
);
const Consistency = Type.Object(
  {
    size1: Size,
    size2: Size,
    rootHash1: Hex,
    rootHash2: Hex,
    proof: Type.Array(Hex),
    treeHead1: Type.Union([TreeHead, Type.Null()]),
    treeHead2: Type.Union([TreeHead, Type.Null()]),
    /**
     * The log's key history, signed by the log key with treeHead2 (a mod.audit.bundle.v3 holding no record): a head
     * a rotated-out key signed verifies with the current key alone (`modctl audit verify-consistency`). Absent when
     * the API has no signing key or the log signed no head of size2.
     */
    history: Type.Optional(Bundle),
  },
  {
    description:
      "RFC 9162 consistency proof between the signed heads of size1 and size2; `history` is the log's key history signed by the log key with treeHead2 (a mod.audit.bundle.v3 holding no record), so `modctl audit verify-consistency` takes a head a rotated-out key signed with the current key alone",
  },
);
const Evidence = Type.Object({
  seq: Seq,
  evidence: Type.Array(
    Type.Object({
      name: Type.String(),
      digest: Hex,
      document: Type.String({ description: 'canonical JSON; its UTF-8 SHA-256 is digest' }),
    }),
  ),
});

/**
 * Where the audit reads report stored head rows of a trusted key's id that are no head of this log (another log's,
 * a bad signature, a fork of one size): they are passed over, and said in the request's log.
 */
function reportRefused(req: FastifyRequest, count?: RefusedHeadSink): RefusedHeadSink {
  return (refused) => {
    count?.(refused);
    req.log.warn({ refused }, 'audit tree head row refused: not a head of this log');
  };
}

/** Maps the audit log's typed errors onto API answers with codes the API documents. */
async function answer<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    if (isModError(err)) {
      if (err.code === AuditLogErrorCode.NO_TREE_HEAD) throw notFound('signed tree head');
      if (err.code === AuditLogErrorCode.OUT_OF_RANGE || err.code === AuditLogErrorCode.TOO_MANY_RECORDS) {
        throw badRequest('MOD_ERR_API_BAD_REQUEST', err.message);
      }
    }
    throw err;
  }
}

/**
 * The verifiable audit log for authorities (issue 8): signed tree heads, RFC 9162 inclusion and consistency
 * proofs, evidence documents behind record digests, and export bundles that `modctl audit verify` checks
 * offline, with their scope signed. Record contents are scoped (`RECORD_READERS`). Reads only: they are not
 * themselves audited.
 */
export async function auditRoutes(app: TypedApp, deps: AuditRouteDeps): Promise<void> {
  const countRefused = deps.registry === undefined ? undefined : registerRefusedHeadMetric(deps.registry);
  const refusedOf = (req: FastifyRequest) => reportRefused(req, countRefused);
  await auditEraseRoutes(app, deps);
  const visibleOr404 = async (req: FastifyRequest, seq: number) => {
    const scope = auditScopeOf(req);
    if (!scope.all && !(await auditRecordVisible(deps.db, seq, scope))) throw notFound('audit record');
  };

  app.get(
    '/tree-heads/latest',
    { config: AUDIT_READERS, schema: { response: { 200: HeadBody, ...ErrorResponses } } },
    async (req) => {
      const head = await latestTreeHead(deps.db, deps.trusted, refusedOf(req));
      if (head === null) throw notFound('signed tree head');
      return { treeHead: head, publicKeys: await auditPublicKeys(deps.db) };
    },
  );

  app.get(
    '/tree-heads/:treeSize',
    {
      config: AUDIT_READERS,
      schema: { params: Type.Object({ treeSize: Size }), response: { 200: HeadBody, ...ErrorResponses } },
    },
    async (req) => {
      const head = await treeHeadAt(deps.db, deps.trusted, req.params.treeSize, refusedOf(req));
      if (head === null) throw notFound('signed tree head');
      return { treeHead: head, publicKeys: await auditPublicKeys(deps.db) };
    },
  );

  app.get(
    '/records/:seq/inclusion-proof',
    {
      config: RECORD_READERS,
      schema: {
        params: Type.Object({ seq: Seq }),
        querystring: Type.Object({ treeSize: Type.Optional(Size) }, { additionalProperties: false }),
        response: { 200: Type.Object({ treeHead: TreeHead, entry: Entry }), ...ErrorResponses },
      },
    },
    async (req) => {
      await visibleOr404(req, req.params.seq);
      return answer(() =>
        auditInclusionProof(deps.db, deps.trusted, req.params.seq, req.query.treeSize, refusedOf(req)),
      );
    },
  );

  app.get(
    '/records/:seq/evidence',
    {
      config: RECORD_READERS,
      schema: { params: Type.Object({ seq: Seq }), response: { 200: Evidence, ...ErrorResponses } },
    },
    async (req) => {
      await visibleOr404(req, req.params.seq);
      const evidence = await auditEvidence(deps.db, req.params.seq);
      if (evidence === null) throw notFound('audit record');
      return { seq: req.params.seq, evidence };
    },
  );

  app.get(
    '/consistency-proof',
    {
      config: AUDIT_READERS,
      schema: {
        querystring: Type.Object(
          { fromSize: Size, toSize: Type.Optional(Size) },
          { additionalProperties: false },
        ),
        response: { 200: Consistency, ...ErrorResponses },
      },
    },
    async (req) =>
      answer(() =>
        auditConsistencyProof(deps.db, deps.trusted, req.query.fromSize, req.query.toSize, {
          report: refusedOf(req),
          signingKey: deps.signingKey,
        }),
      ),
  );

  app.get(
    '/export',
    {
      config: RECORD_READERS,
      schema: {
        querystring: Type.Object(
          {
            ref: Type.Optional(Type.Array(Ref, { minItems: 1, maxItems: 20 })),
            label: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:/+=-]{1,128}$' })),
            fromSeq: Type.Optional(Seq),
            toSeq: Type.Optional(Seq),
            from: Type.Optional(Timestamp),
            to: Type.Optional(Timestamp),
            treeSize: Type.Optional(Size),
          },
          { additionalProperties: false },
        ),
        response: { 200: Bundle, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const kinds = [
        q.ref !== undefined,
        q.fromSeq !== undefined || q.toSeq !== undefined,
        q.from !== undefined || q.to !== undefined,
      ];
      if (kinds.filter(Boolean).length !== 1) {
        throw badRequest('MOD_ERR_API_VALIDATION', 'give exactly one of: ref, fromSeq+toSeq, from+to');
      }
      let scope: AuditExportScope;
      if (q.ref !== undefined) {
        scope = { kind: 'refs', refs: q.ref, ...(q.label === undefined ? {} : { label: q.label }) };
      } else if (q.fromSeq !== undefined && q.toSeq !== undefined) {
        scope = { kind: 'range', fromSeq: q.fromSeq, toSeq: q.toSeq };
      } else if (q.from !== undefined && q.to !== undefined) {
        scope = { kind: 'time', from: new Date(q.from), to: new Date(q.to) };
      } else {
        throw badRequest(
          'MOD_ERR_API_VALIDATION',
          'a range needs both ends (fromSeq and toSeq, or from and to)',
        );
      }
      const signingKey = deps.signingKey;
      if (signingKey === null)
        throw new ApiError(
          503,
          'MOD_ERR_API_AUDIT_KEY_MISSING',
          'audit exports are signed and this API has no signing key (MOD_AUDIT_SIGNING_KEY_PEM)',
        );
      const reader = auditScopeOf(req);
      const bundle = await answer(() =>
        exportAuditBundle(deps.db, scope, {
          signingKey,
          trusted: deps.trusted,
          reader,
          report: refusedOf(req),
          ...(q.treeSize === undefined ? {} : { treeSize: q.treeSize }),
        }),
      );
      void reply.header(
        'content-disposition',
        `attachment; filename="audit-bundle-${bundle.treeHead.treeSize}.json"`,
      );
      return bundle;
    },
  );
}
