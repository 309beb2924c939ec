import { withTransaction, type Queryable } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import { claimReviewCase, getReviewCase, releaseReviewCase } from '@mod/db/cases';
import { claimCase, releaseCase } from '@mod/review';
import { principalOf } from '../auth.js';
import { ApiError, notFound } from '../errors.js';
import { auditActor, ErrorResponses, type TypedApp } from './common.js';
import {
  actorOf,
  CASE_WORKERS,
  CaseParams,
  CaseSummaryBody,
  caseRoute,
  caseScopeFor,
  caseSummary,
  personOf,
  refusalAnswer,
  viewOf,
  type CasePartDeps,
} from './cases-common.js';
import { COMMAND_ROUTE_HOOKS } from './order-commands.js';

const claimedFirst = () =>
  new ApiError(409, 'MOD_ERR_API_CASE_CLAIMED', 'another person claimed the case first');

/** The options of a person's command on a case of their queue (release, claim): it answers the case's summary. */
const caseCommand = () => ({
  config: caseRoute(CASE_WORKERS, { people: true }),
  ...COMMAND_ROUTE_HOOKS,
  schema: { params: CaseParams, response: { 200: CaseSummaryBody, ...ErrorResponses } },
});

/**
 * Release and claim: a person of the case's queue holds it for `REVIEW_CLAIM_MINUTES` (renewed by claiming
 * again) so that two reviewers never decide the same case. The claim is one conditional update: of two people
 * racing, exactly one wins and the other gets 409 MOD_ERR_API_CASE_CLAIMED. Releasing is idempotent (a case
 * nobody holds is released already); another person's claim is never released. Both are audited.
 */
export async function caseClaimRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  const { db, review } = deps;
  const readOptions = (scope: ReturnType<typeof caseScopeFor>) => ({
    scope,
    reviewDeadlineHours: review.timings.reviewDeadlineHours,
  });
  /** The case's summary after a command, read again in the command's transaction. */
  const summaryAfter = async (
    c: Queryable,
    id: string,
    options: ReturnType<typeof readOptions>,
    now: Date,
  ) => {
    const after = await getReviewCase(c, id, options);
    if (after === null) throw notFound('case');
    return caseSummary(after, now);
  };

  app.post('/:id/release', caseCommand(), async (req) => {
    const p = principalOf(req);
    const personId = personOf(p);
    const now = deps.now();
    const options = readOptions(caseScopeFor(p));
    return withTransaction(db, async (c) => {
      const stored = await getReviewCase(c, req.params.id, { ...options, lock: true });
      if (stored === null) throw notFound('case');
      const released = releaseCase(viewOf(stored), actorOf(p), now);
      if (!released.ok) throw refusalAnswer(released);
      // Nobody held it: released already, nothing to change or record.
      if (!released.held) return caseSummary(stored, now);
      if (!(await releaseReviewCase(c, stored.id, personId, now))) throw claimedFirst();
      await appendAudit(c, {
        ...auditActor(p),
        action: 'case.released',
        subject: { type: 'case', id: stored.id },
        evidence: { kind: stored.kind },
      });
      return summaryAfter(c, stored.id, options, now);
    });
  });

  app.post('/:id/claim', caseCommand(), async (req) => {
    const p = principalOf(req);
    personOf(p);
    const now = deps.now();
    const options = readOptions(caseScopeFor(p));
    return withTransaction(db, async (c) => {
      const stored = await getReviewCase(c, req.params.id, options);
      if (stored === null) throw notFound('case');
      const claim = claimCase(viewOf(stored), actorOf(p), now, review.timings);
      if (!claim.ok) throw refusalAnswer(claim);
      if (!(await claimReviewCase(c, stored.id, claim))) {
        // The row changed between the read and the update: say what it is now.
        const now2 = await getReviewCase(c, stored.id, options);
        const again = now2 === null ? null : claimCase(viewOf(now2), actorOf(p), now, review.timings);
        throw again !== null && !again.ok ? refusalAnswer(again) : claimedFirst();
      }
      await appendAudit(c, {
        ...auditActor(p),
        action: 'case.claimed',
        subject: { type: 'case', id: stored.id },
        evidence: { kind: stored.kind, claimExpiresAt: claim.claimExpiresAt.toISOString() },
      });
      return summaryAfter(c, stored.id, options, now);
    });
  });
}
