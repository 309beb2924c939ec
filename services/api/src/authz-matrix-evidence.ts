/**
 * The authorization matrix's entries for the evidence vault (authz-matrix.ts spreads them in, in registration
 * order): oversight reads every item's metadata, an authority its own tenant's (and what it holds, and what stands
 * behind its orders); holds and integrity checks are an authority's or an admin's.
 */
import { about, type MatrixEntry } from './authz-matrix-entry.js';

/** Oversight reads every item's metadata, an authority its own tenant's. */
const READ = {
  roles: ['authority', 'reviewer', 'admin'],
  tenant: 'own',
  crossTenant: ['reviewer', 'admin'],
} as const;
/** Holds and integrity checks: an authority on its own items, an admin on any. */
const HOLD = { roles: ['authority', 'admin'], tenant: 'own', crossTenant: ['admin'] } as const;

export const EVIDENCE_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /v1/evidence': {
    ...READ,
    sample: (c) => ({ url: `/v1/evidence?submissionId=${c.submissionId}` }),
    shows: (c) => c.evidenceId,
  },
  'GET /v1/evidence/:id': { ...READ, ...about('evidenceId', '/v1/evidence/:id') },
  'POST /v1/evidence/:id/legal-hold': {
    ...HOLD,
    ...about('evidenceId', '/v1/evidence/:id/legal-hold', { reason: 'matrix' }),
  },
  // After the hold route (registration order): the hold each caller set is released by it.
  'POST /v1/evidence/:id/legal-hold/release': {
    ...HOLD,
    ...about('evidenceId', '/v1/evidence/:id/legal-hold/release', { reason: 'matrix' }),
  },
  'POST /v1/evidence/:id/verify': { ...HOLD, ...about('evidenceId', '/v1/evidence/:id/verify') },
};
