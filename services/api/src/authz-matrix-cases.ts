/**
 * The authorization matrix's entries for review cases, the person's review settings and bank proposals
 * (routes/cases*.ts; authz-matrix.ts spreads them in). Reviewers and admins see every case, an authority its own
 * escalations (the side's `caseId` is one addressed to its tenant: the other authority's answers 404). Working a
 * case, its media and proposals are for people only (`sessionOnly`). The entries run in registration order, per
 * caller and side: list, read, release (nothing held: released already), claim, preview and reveal (the
 * claimer's alone, both: case-preview-rules.test.ts), decide, propose.
 */
import { about, requestFor, type MatrixEntry } from './authz-matrix-entry.js';

const READ = {
  roles: ['reviewer', 'authority', 'admin'],
  tenant: 'own',
  crossTenant: ['reviewer', 'admin'],
} as const;
const WORK = { ...READ, roles: ['reviewer', 'authority'], sessionOnly: true } as const;

export const CASES_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /v1/cases': {
    ...READ,
    sample: () => ({ url: '/v1/cases?status=all&limit=100' }),
    shows: (c) => c.caseId,
  },
  'GET /v1/cases/:id': { ...READ, ...about('caseId', '/v1/cases/:id') },
  'POST /v1/cases/:id/release': { ...WORK, ...about('caseId', '/v1/cases/:id/release') },
  'POST /v1/cases/:id/claim': { ...WORK, ...about('caseId', '/v1/cases/:id/claim') },
  'GET /v1/cases/:id/preview': { ...WORK, ...about('caseId', '/v1/cases/:id/preview') },
  'POST /v1/cases/:id/reveal': { ...WORK, ...about('caseId', '/v1/cases/:id/reveal') },
  'POST /v1/cases/:id/decision': {
    ...WORK,
    ...about('caseId', '/v1/cases/:id/decision', { decision: 'confirm', category: 'C', reason: 'matrix' }),
  },
  'POST /v1/cases/:id/proposals': {
    roles: ['reviewer', 'curator'],
    tenant: 'own',
    crossTenant: ['reviewer', 'curator'],
    sessionOnly: true,
    sample: (c) => ({ url: `/v1/cases/${c.caseId}/proposals`, payload: { bankId: c.bankId } }),
    shows: (c) => c.caseId,
  },

  // A person's own review settings.
  'GET /v1/review-settings': { roles: ['reviewer', 'authority'], tenant: 'none', sessionOnly: true },
  'PATCH /v1/review-settings': {
    roles: ['reviewer', 'authority'],
    tenant: 'none',
    sessionOnly: true,
    sample: () => ({ url: '/v1/review-settings', payload: { previewBlur: true } }),
  },
  // Everyone's daily exposure: welfare supervisors (admins), people only; every read audited.
  'GET /v1/review-exposure': { roles: ['admin'], tenant: 'none', sessionOnly: true },

  // Bank proposals: read by those who make and decide them, decided by a curator who did not propose.
  'GET /v1/bank-proposals': { roles: ['curator', 'reviewer', 'admin'], tenant: 'none' },
  'GET /v1/bank-proposals/:id': {
    roles: ['curator', 'reviewer', 'admin'],
    tenant: 'none',
    sample: requestFor('proposalId', '/v1/bank-proposals/:id'),
  },
  'POST /v1/bank-proposals/:id/approve': {
    roles: ['curator'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('proposalId', '/v1/bank-proposals/:id/approve'),
  },
  'POST /v1/bank-proposals/:id/reject': {
    roles: ['curator'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('rejectProposalId', '/v1/bank-proposals/:id/reject', { reason: 'matrix' }),
  },
};
