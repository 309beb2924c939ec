/**
 * The authorization matrix's entries for citizens' reports (authz-matrix.ts spreads them in): the public form and
 * status page need no credential; the hotline and platforms file over the API; operators read every report, a
 * platform those it filed; contact details are the hotline's alone; the figures are for authorities and operators.
 */
import type { Role } from '@mod/db/access';
import type { MatrixEntry } from './authz-matrix-entry.js';

const REPORT_READERS: readonly Role[] = ['hotline', 'reviewer', 'admin', 'platform'];
const REPORT_OVERSIGHT: readonly Role[] = ['hotline', 'reviewer', 'admin'];

export const REPORTS_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /report': { roles: 'public', tenant: 'none' },
  // Without the token a served form carries, a post is refused by the form's own check: to everyone alike.
  'POST /report': {
    roles: 'public',
    tenant: 'none',
    publicStatus: 400,
    sample: () => ({
      url: '/report',
      payload: 'urls=https%3A%2F%2Fmatrix.example%2Fa&category=other&token=forged',
      contentType: 'application/x-www-form-urlencoded',
    }),
  },
  'GET /report/status': { roles: 'public', tenant: 'none' },
  'POST /report/status': {
    roles: 'public',
    tenant: 'none',
    publicStatus: 404,
    sample: () => ({
      url: '/report/status',
      payload: 'code=0000-0000-0000&lang=en',
      contentType: 'application/x-www-form-urlencoded',
    }),
  },
  'GET /report/report.css': { roles: 'public', tenant: 'none' },
  'GET /report/pow.js': { roles: 'public', tenant: 'none' },
  'POST /v1/reports': {
    roles: ['hotline', 'platform'],
    tenant: 'own',
    sample: (c) => ({
      url: '/v1/reports',
      payload: { urls: [`https://matrix.example/${c.unique}`], category: 'other', description: 'matrix' },
    }),
  },
  'GET /v1/reports': {
    roles: REPORT_READERS,
    tenant: 'own',
    crossTenant: REPORT_OVERSIGHT,
    sample: () => ({ url: '/v1/reports?limit=200' }),
    shows: (c) => c.reportId,
  },
  'GET /v1/reports/:id': {
    roles: REPORT_READERS,
    tenant: 'own',
    crossTenant: REPORT_OVERSIGHT,
    sample: (c) => ({ url: `/v1/reports/${c.reportId}` }),
    shows: (c) => c.reportId,
  },
  // A person takes responsibility (a key cannot: sessionOnly).
  'POST /v1/reports/:id/owner': {
    roles: ['hotline', 'reviewer', 'admin'],
    tenant: 'none',
    sessionOnly: true,
    sample: (c) => ({ url: `/v1/reports/${c.reportId}/owner` }),
  },
  'GET /v1/reports/:id/contact': {
    roles: ['hotline'],
    tenant: 'none',
    sample: (c) => ({ url: `/v1/reports/${c.reportId}/contact` }),
  },
  'GET /v1/report-stats': { roles: ['authority', 'hotline', 'reviewer', 'admin'], tenant: 'none' },
};
