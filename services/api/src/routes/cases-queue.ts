import { Type } from '@fastify/type-provider-typebox';
import { getCaseContent, getReviewCase, listBankProposalsOfCase, listReviewQueue } from '@mod/db/cases';
import { getEvidenceItem } from '@mod/db/vault';
import { checkQueueFilter, kindsInQueue, type QueueFilter, type QueueRole } from '@mod/review';
import { evidenceItemId, evidenceState } from '@mod/vault';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import {
  ErrorResponses,
  MAX_PAGE,
  nextCursorAfter,
  Nullable,
  pagePosition,
  Text,
  Timestamp,
  Uuid,
  type TypedApp,
} from './common.js';
import {
  CASE_READERS,
  CaseParams,
  CaseSummaryBody,
  caseRoute,
  caseScopeFor,
  caseSummary,
  refusalAnswer,
  type CasePartDeps,
} from './cases-common.js';
import {
  caseFindings,
  CaseClassifierFramesBody,
  CaseFramesBody,
  CaseHitBody,
  TakedownWithheldBody,
} from './cases-findings.js';

const QueueQuery = Type.Object(
  {
    /** Whose queue: `reviewer` (review cases) or `authority` (confirmations and escalations). Default: the caller's. */
    role: Type.Optional(Type.Union([Type.Literal('reviewer'), Type.Literal('authority')])),
    status: Type.Optional(
      Type.Union([
        Type.Literal('waiting'),
        Type.Literal('claimed'),
        Type.Literal('open'),
        Type.Literal('decided'),
        Type.Literal('all'),
      ]),
    ),
    kind: Type.Optional(
      Type.Union([Type.Literal('review'), Type.Literal('confirm'), Type.Literal('escalation')]),
    ),
    tenantId: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
    reason: Type.Optional(Text(200)),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minAgeMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 525_600 })),
    maxAgeMinutes: Type.Optional(Type.Number({ minimum: 0, maximum: 525_600 })),
    category: Type.Optional(Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const CaseDetailBody = Type.Object(
  {
    case: CaseSummaryBody,
    decisionReason: Nullable(Type.String()),
    /** Hits, scores, the policy version the case was opened under (never media). */
    evidence: Type.Unknown(),
    /** The evidence's hits, each with the frame it matched on (null: the whole file). */
    hits: Type.Array(CaseHitBody),
    /** A multi-frame file's frames examined of how many (null: a still image, or not recorded). */
    frames: Type.Union([CaseFramesBody, Type.Null()]),
    /** A multi-frame file's frames the classifier scored, and the frame of the highest risk (null: none recorded). */
    classifierFrames: Type.Union([CaseClassifierFramesBody, Type.Null()]),
    /** The takedown policy withheld from another platform for a URL the submitter only claims (null: none). */
    takedownWithheld: Type.Union([TakedownWithheldBody, Type.Null()]),
    submission: Type.Union([
      Type.Object(
        {
          id: Uuid,
          tenantId: Type.String(),
          source: Type.String(),
          url: Nullable(Type.String()),
          sha256: Nullable(Type.String()),
          sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
          receivedAt: Timestamp,
          status: Type.String(),
          decision: Nullable(Type.String()),
          /** The last verdict's hashes (sha256, sha1, md5, pdq, blockhash). */
          hashes: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
          scannerVersion: Nullable(Type.String()),
          /** The classifier's scores, risk and model ids and versions. */
          classification: Type.Unknown(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    /** The media kept in the vault for this case's review (never its bytes); null when none was kept. */
    media: Type.Union([
      Type.Object(
        {
          state: Type.String(),
          mediaType: Type.String(),
          sizeBytes: Type.Integer(),
          destroyedAt: Nullable(Timestamp),
          legalHold: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    proposals: Type.Array(
      Type.Object(
        { id: Uuid, bankId: Uuid, status: Type.String(), proposedBy: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The queue role a caller reads when it does not say: authorities read theirs, everyone else the reviewers'. */
const defaultQueueRole = (role: string): QueueRole => (role === 'authority' ? 'authority' : 'reviewer');

/**
 * The queues and a case: oldest first per tenant and role, with filters and keyset pages; a case with its
 * scores, model versions, hits, submission and kept media's state. Scoped: reviewers and admins see every case,
 * an authority the authorities' cases (another authority's escalation answers 404).
 */
export async function caseQueueRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const { db, review } = deps;
  const reviewDeadlineHours = review.timings.reviewDeadlineHours;

  app.get(
    '',
    {
      config: caseRoute(CASE_READERS),
      schema: {
        querystring: QueueQuery,
        response: {
          200: Type.Object(
            { cases: Type.Array(CaseSummaryBody), nextCursor: Nullable(Type.String()) },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const now = deps.now();
      const filter: QueueFilter = {
        role: q.role ?? defaultQueueRole(p.role),
        status: q.status ?? 'open',
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        ...(q.tenantId === undefined ? {} : { tenantId: q.tenantId }),
        ...(q.reason === undefined ? {} : { reason: q.reason }),
        ...(q.minScore === undefined ? {} : { minScore: q.minScore }),
        ...(q.maxScore === undefined ? {} : { maxScore: q.maxScore }),
        ...(q.minAgeMinutes === undefined ? {} : { minAgeMinutes: q.minAgeMinutes }),
        ...(q.maxAgeMinutes === undefined ? {} : { maxAgeMinutes: q.maxAgeMinutes }),
        ...(q.category === undefined ? {} : { category: q.category }),
      };
      const checked = checkQueueFilter(filter);
      if ('ok' in checked) throw refusalAnswer(checked);
      const after = pagePosition(q.cursor);
      const limit = q.limit ?? 50;
      const cases = await listReviewQueue(db, {
        ...checked,
        kinds: checked.kind === undefined ? kindsInQueue(checked.role) : [checked.kind],
        scope: caseScopeFor(p),
        reviewDeadlineHours,
        now,
        after,
        limit,
      });
      return {
        cases: cases.map((c) => caseSummary(c, now)),
        nextCursor: nextCursorAfter(cases, limit, (last) => ({ createdAt: last.createdAt, id: last.id })),
      };
    },
  );

  app.get(
    '/:id',
    {
      config: caseRoute(CASE_READERS),
      schema: { params: CaseParams, response: { 200: CaseDetailBody, ...ErrorResponses } },
    },
    async (req) => {
      const p = principalOf(req);
      const now = deps.now();
      const c = await getReviewCase(db, req.params.id, { scope: caseScopeFor(p), reviewDeadlineHours });
      if (c === null) throw notFound('case');
      const content = c.submissionId === null ? null : await getCaseContent(db, c.submissionId);
      const item =
        content === null
          ? null
          : await getEvidenceItem(db, evidenceItemId(content.tenantId, content.submissionId), { all: true });
      const proposals = await listBankProposalsOfCase(db, c.id);
      return {
        case: caseSummary(c, now),
        decisionReason: c.decisionReason,
        evidence: c.evidence,
        ...caseFindings(c.evidence, content?.url ?? null),
        submission:
          content === null
            ? null
            : {
                id: content.submissionId,
                tenantId: content.tenantId,
                source: content.source,
                url: content.url,
                sha256: content.sha256,
                sizeBytes: content.sizeBytes,
                receivedAt: content.receivedAt.toISOString(),
                status: content.status,
                decision: content.decision,
                hashes: content.hashes,
                scannerVersion: content.scannerVersion,
                classification: content.classification,
              },
        media:
          item === null
            ? null
            : {
                state: evidenceState(item),
                mediaType: item.mediaType,
                sizeBytes: item.sizeBytes,
                destroyedAt: item.destroyedAt,
                legalHold: item.legalHold !== null,
              },
        proposals: proposals.map((x) => ({
          id: x.id,
          bankId: x.bankId,
          status: x.status,
          proposedBy: x.proposedBy,
        })),
      };
    },
  );
}
