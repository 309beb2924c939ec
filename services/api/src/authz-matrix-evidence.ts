/**
 * The authorization matrix's entries for the evidence vault (authz-matrix.ts spreads them in, in registration
 * order): oversight reads every item's metadata, an authority its own tenant's (and what it holds, and what stands
 * behind its orders); holds and integrity checks are an authority's or an admin's.
 */
import type { Role } from '@mod/db/access';
import type { MatrixEntry } from './authz-matrix-entry.js';

const EVIDENCE_READERS: readonly Role[] = ['authority', 'reviewer', 'admin'];
const EVIDENCE_OVERSIGHT: readonly Role[] = ['reviewer', 'admin'];
const EVIDENCE_HOLDERS: readonly Role[] = ['authority', 'admin'];

export const EVIDENCE_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /v1/evidence': {
    roles: EVIDENCE_READERS,
    tenant: 'own',
    crossTenant: EVIDENCE_OVERSIGHT,
    sample: (c) => ({ url: `/v1/evidence?submissionId=${c.submissionId}` }),
    shows: (c) => c.evidenceId,
  },
  'GET /v1/evidence/:id': {
    roles: EVIDENCE_READERS,
    tenant: 'own',
    crossTenant: EVIDENCE_OVERSIGHT,
    sample: (c) => ({ url: `/v1/evidence/${c.evidenceId}` }),
    shows: (c) => c.evidenceId,
  },
  'POST /v1/evidence/:id/legal-hold': {
    roles: EVIDENCE_HOLDERS,
    tenant: 'own',
    crossTenant: ['admin'],
    sample: (c) => ({ url: `/v1/evidence/${c.evidenceId}/legal-hold`, payload: { reason: 'matrix' } }),
    shows: (c) => c.evidenceId,
  },
  // After the hold route (registration order): the hold each caller set is released by it.
  'POST /v1/evidence/:id/legal-hold/release': {
    roles: EVIDENCE_HOLDERS,
    tenant: 'own',
    crossTenant: ['admin'],
    sample: (c) => ({
      url: `/v1/evidence/${c.evidenceId}/legal-hold/release`,
      payload: { reason: 'matrix' },
    }),
    shows: (c) => c.evidenceId,
  },
  'POST /v1/evidence/:id/verify': {
    roles: EVIDENCE_HOLDERS,
    tenant: 'own',
    crossTenant: ['admin'],
    sample: (c) => ({ url: `/v1/evidence/${c.evidenceId}/verify` }),
    shows: (c) => c.evidenceId,
  },
};
