/**
 * The authorization matrix's entries for review cases, the person's review settings and bank proposals
 * (routes/cases*.ts; authz-matrix.test-helper.ts spreads them in). Reviewers and admins see every case, an authority
 * its own escalations (the side's `caseId` is one addressed to its tenant: the other authority's answers 404). Working
 * a case, its media and proposals are for people only (`sessionOnly`). The entries run in registration order, per
 * caller and side: list, read, release (nothing held: released already), claim, preview and reveal (the claimer's
 * alone, both: case-preview-rules.test.ts), decide, propose. Each entry also says what a reviewer of an authority
 * tenant gets (`boundReviewer`): such a reviewer is not oversight, and reads only its authority's cases.
 */
import {
  about,
  requestFor,
  type BoundReviewerRow,
  type MatrixEntry,
} from './authz-matrix-entry.test-helper.js';

const READ = {
  roles: ['reviewer', 'authority', 'admin'],
  tenant: 'own',
  crossTenant: ['reviewer', 'admin'],
} as const;
const WORK = { ...READ, roles: ['reviewer', 'authority'], sessionOnly: true } as const;

/**
 * A reviewer of an authority tenant (bound to its tenant, not oversight): the review case its side's authority
 * ordered taken down is its to read and work as any reviewer's; another authority's answers 404 (absent from the
 * queue), to its key and its person alike. Its key reads, people work; routes about no case as for any reviewer.
 */
const BOUND_READ: BoundReviewerRow = { key: ['visible', 'hidden'], person: ['visible', 'hidden'] };
const BOUND_WORK: BoundReviewerRow = { key: ['forbidden', 'forbidden'], person: ['visible', 'hidden'] };
/** A person's command on the side's case (`payload`: its body): people only, a bound reviewer's on its own. */
const work = (url: string, payload?: unknown): MatrixEntry => ({
  ...WORK,
  ...about('caseId', url, payload),
  boundReviewer: BOUND_WORK,
});
const bound = (key: 'ok' | 'forbidden', person: 'ok' | 'forbidden'): BoundReviewerRow => ({
  key: [key, key],
  person: [person, person],
});

export const CASES_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /v1/cases': {
    ...READ,
    sample: () => ({ url: '/v1/cases?status=all&limit=100' }),
    shows: (c) => c.caseId,
    boundReviewer: BOUND_READ,
  },
  'GET /v1/cases/:id': { ...READ, ...about('caseId', '/v1/cases/:id'), boundReviewer: BOUND_READ },
  'POST /v1/cases/:id/release': work('/v1/cases/:id/release'),
  'POST /v1/cases/:id/claim': work('/v1/cases/:id/claim'),
  'GET /v1/cases/:id/preview': work('/v1/cases/:id/preview'),
  'POST /v1/cases/:id/reveal': work('/v1/cases/:id/reveal'),
  'POST /v1/cases/:id/decision': work('/v1/cases/:id/decision', {
    decision: 'confirm',
    category: 'C',
    reason: 'matrix',
  }),
  'POST /v1/cases/:id/proposals': {
    roles: ['reviewer', 'curator'],
    tenant: 'own',
    crossTenant: ['reviewer', 'curator'],
    sessionOnly: true,
    sample: (c) => ({ url: `/v1/cases/${c.caseId}/proposals`, payload: { bankId: c.bankId } }),
    shows: (c) => c.caseId,
    boundReviewer: BOUND_WORK,
  },

  // A person's own review settings.
  'GET /v1/review-settings': {
    roles: ['reviewer', 'authority'],
    tenant: 'none',
    sessionOnly: true,
    boundReviewer: bound('forbidden', 'ok'),
  },
  'PATCH /v1/review-settings': {
    roles: ['reviewer', 'authority'],
    tenant: 'none',
    sessionOnly: true,
    sample: () => ({ url: '/v1/review-settings', payload: { previewBlur: true } }),
    boundReviewer: bound('forbidden', 'ok'),
  },
  // Everyone's daily exposure: welfare supervisors (admins), people only; every read audited.
  'GET /v1/review-exposure': {
    roles: ['admin'],
    tenant: 'none',
    sessionOnly: true,
    boundReviewer: bound('forbidden', 'forbidden'),
  },

  // Bank proposals: read by those who make and decide them, decided by a curator who did not propose. Each is read
  // as its case: the shared proposals are of a platform's cases no authority is tied to, so a reviewer of an
  // authority tenant neither lists nor reads them (404).
  'GET /v1/bank-proposals': {
    roles: ['curator', 'reviewer', 'admin'],
    tenant: 'none',
    boundReviewer: { key: ['hidden', 'hidden'], person: ['hidden', 'hidden'], shows: (c) => c.proposalId },
  },
  'GET /v1/bank-proposals/:id': {
    roles: ['curator', 'reviewer', 'admin'],
    tenant: 'none',
    sample: requestFor('proposalId', '/v1/bank-proposals/:id'),
    boundReviewer: { key: ['hidden', 'hidden'], person: ['hidden', 'hidden'], shows: (c) => c.proposalId },
  },
  'POST /v1/bank-proposals/:id/approve': {
    roles: ['curator'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('proposalId', '/v1/bank-proposals/:id/approve'),
    boundReviewer: bound('forbidden', 'forbidden'),
  },
  'POST /v1/bank-proposals/:id/reject': {
    roles: ['curator'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('rejectProposalId', '/v1/bank-proposals/:id/reject', { reason: 'matrix' }),
    boundReviewer: bound('forbidden', 'forbidden'),
  },
};
