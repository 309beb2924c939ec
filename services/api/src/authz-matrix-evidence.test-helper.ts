/**
 * The authorization matrix's entries for the evidence vault (authz-matrix.test-helper.ts spreads them in, in
 * registration order): oversight reads every item's metadata, an authority its own tenant's (and what it holds, and
 * what stands behind its orders), a reviewer of an authority tenant the items of the cases it reads; holds and
 * integrity checks are an authority's or an admin's.
 */
import { about, type BoundReviewerRow, type MatrixEntry } from './authz-matrix-entry.test-helper.js';

/** Oversight reads every item's metadata, an authority its own tenant's. */
const READ = {
  roles: ['authority', 'reviewer', 'admin'],
  tenant: 'own',
  crossTenant: ['reviewer', 'admin'],
} as const;
/** Holds and integrity checks: an authority on its own items, an admin on any. */
const HOLD = { roles: ['authority', 'admin'], tenant: 'own', crossTenant: ['admin'] } as const;
/**
 * A reviewer of an authority tenant reads the evidence as its case: the media of the case its authority ordered
 * taken down, not the media of another authority's (404, absent from the listing); holds and checks are not its.
 */
const BOUND_READ: BoundReviewerRow = { key: ['visible', 'hidden'], person: ['visible', 'hidden'] };
const BOUND_NONE: BoundReviewerRow = { key: ['forbidden', 'forbidden'], person: ['forbidden', 'forbidden'] };

export const EVIDENCE_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /v1/evidence': {
    ...READ,
    sample: (c) => ({ url: `/v1/evidence?submissionId=${c.submissionId}` }),
    shows: (c) => c.evidenceId,
    boundReviewer: BOUND_READ,
  },
  'GET /v1/evidence/:id': { ...READ, ...about('evidenceId', '/v1/evidence/:id'), boundReviewer: BOUND_READ },
  'POST /v1/evidence/:id/legal-hold': {
    ...HOLD,
    ...about('evidenceId', '/v1/evidence/:id/legal-hold', { reason: 'matrix' }),
    boundReviewer: BOUND_NONE,
  },
  // After the hold route (registration order): the hold each caller set is released by it.
  'POST /v1/evidence/:id/legal-hold/release': {
    ...HOLD,
    ...about('evidenceId', '/v1/evidence/:id/legal-hold/release', { reason: 'matrix' }),
    boundReviewer: BOUND_NONE,
  },
  'POST /v1/evidence/:id/verify': {
    ...HOLD,
    ...about('evidenceId', '/v1/evidence/:id/verify'),
    boundReviewer: BOUND_NONE,
  },
};
