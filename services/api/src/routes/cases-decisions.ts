import { Type } from '@fastify/type-provider-typebox';
import { MAX_REASON_CHARS } from '@mod/review';
import { principalOf } from '../auth.js';
import { ErrorResponses, Nullable, Text, Uuid, type TypedApp } from './common.js';
import { applyCaseDecision } from './cases-apply.js';
import {
  CASE_WORKERS,
  CaseParams,
  CaseSummaryBody,
  caseRoute,
  caseSummary,
  type CasePartDeps,
} from './cases-common.js';

const DecisionBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('confirm'), Type.Literal('dismiss'), Type.Literal('escalate')]),
    /** Why, in the person's words (audited). */
    reason: Text(MAX_REASON_CHARS),
    /** Confirm only: IWF category A, B or C. */
    category: Type.Optional(Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C')])),
    /** Confirm (a bank that is not negative) or dismiss (a negative bank): propose the content's hashes. */
    proposeToBankId: Type.Optional(Uuid),
    proposalNote: Type.Optional(Text(2000)),
    /** Escalate only: the authority tenant to hand the case to (absent: any authority). */
    authorityTenantId: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
  },
  { additionalProperties: false },
);

/**
 * Deciding a case: confirm (category A/B/C; policy issues the orders and the authority's confirmation case),
 * dismiss (optionally proposing the content for a negative bank) or escalate (to an authority), each with a
 * reason, only by the person holding the case's claim (a machine key: 403 MOD_ERR_API_PERSON_REQUIRED; another
 * person's claim: 409 MOD_ERR_API_CASE_CLAIMED).
 */
export async function caseDecisionRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const decisions = deps.decisions;
  app.post(
    '/:id/decision',
    {
      config: caseRoute(CASE_WORKERS, { people: true }),
      schema: {
        params: CaseParams,
        body: DecisionBody,
        response: {
          200: Type.Object(
            {
              case: CaseSummaryBody,
              orderIds: Type.Array(Uuid),
              escalationId: Nullable(Uuid),
              proposalId: Nullable(Uuid),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const done = await applyCaseDecision(deps, principalOf(req), req.params.id, req.body);
      decisions.inc({ decision: done.decision });
      return {
        case: caseSummary(done.case, deps.now()),
        orderIds: done.orderIds,
        escalationId: done.escalationId,
        proposalId: done.proposalId,
      };
    },
  );
}
