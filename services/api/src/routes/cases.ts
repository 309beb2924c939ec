import { defaultPolicy } from '@mod/policy';
import { defaultReviewTimings } from '@mod/review';
import { registerParts, type TypedApp } from './common.js';
import { caseClaimRoutes } from './cases-claims.js';
import type { CasePartDeps, CaseRouteDeps, ReviewSettings } from './cases-common.js';
import { caseDecisionRoutes } from './cases-decisions.js';
import { caseQueueRoutes } from './cases-queue.js';
import { caseEvidenceRoutes } from './cases-evidence.js';
import { registerCaseMetrics } from './cases-metrics.js';
import { bankProposalRoutes, caseProposalRoutes } from './cases-proposals.js';
import { reviewSettingsRoutes } from './cases-settings.js';
import { reviewExposureRoutes } from './review-exposure.js';

export type { CaseRouteDeps, ReviewSettings } from './cases-common.js';

/** Review settings with every default filled in (`AppDeps.review` gives any of them). */
export function reviewSettingsOf(given: Partial<ReviewSettings> = {}): ReviewSettings {
  return {
    policy: given.policy ?? defaultPolicy,
    timings: given.timings ?? defaultReviewTimings,
    dailyRevealLimit: given.dailyRevealLimit ?? 0,
    dailyPreviewLimit: given.dailyPreviewLimit ?? 0,
    dayUtcOffsetMinutes: given.dayUtcOffsetMinutes ?? 420,
    evidence: given.evidence ?? null,
  };
}

/**
 * Cases (under `/v1/cases`); the parts register in this order (the authorization matrix calls them so: a person
 * claims a case before revealing it).
 */
async function caseRoutes(app: TypedApp, deps: CasePartDeps): Promise<void> {
  await registerParts(app, deps, [
    caseQueueRoutes,
    caseClaimRoutes,
    caseEvidenceRoutes,
    caseDecisionRoutes,
    caseProposalRoutes,
  ]);
}

/**
 * The review cases people work, as groups sharing one set of metrics (`registerCaseGroups` registers
 * them): cases (under `/v1/cases`: queues, a case, claim and release, decisions, previews and reveals), the
 * person's own review settings (`/v1/review-settings`), everyone's daily exposure for supervisors
 * (`/v1/review-exposure`), and bank proposals (`/v1/bank-proposals`).
 */
export async function registerCaseGroups(app: TypedApp, deps: CaseRouteDeps): Promise<void> {
  const counters = registerCaseMetrics({
    registry: deps.registry,
    db: deps.db,
    now: deps.now,
    reviewDeadlineHours: deps.review.timings.reviewDeadlineHours,
  });
  const partDeps: CasePartDeps = { ...deps, ...counters };
  await app.register(caseRoutes, { prefix: '/v1/cases', ...partDeps });
  await app.register(reviewSettingsRoutes, { prefix: '/v1/review-settings', ...partDeps });
  await app.register(reviewExposureRoutes, { prefix: '/v1/review-exposure', ...partDeps });
  await app.register(bankProposalRoutes, { prefix: '/v1/bank-proposals', ...partDeps });
}
