/**
 * The authorization matrix's entries for citizens' reports (authz-matrix.test-helper.ts spreads them in): the public
 * form and status page need no credential; the hotline and platforms file over the API; operators read every report
 * (the hotline's keys those their tenant filed), a platform those it filed; contact details are the hotline's people's
 * alone (never a key); the figures are for authorities and operators.
 */
import { about, PUBLIC, requestFor, type MatrixEntry } from './authz-matrix-entry.test-helper.js';

/**
 * A platform reads the reports it filed; operators read every report, the hotline's people too but not its keys
 * (its call centre's software), which read the reports their tenant filed.
 */
const READ = {
  roles: ['hotline', 'reviewer', 'admin', 'platform'],
  tenant: 'own',
  crossTenant: ['hotline', 'reviewer', 'admin'],
  crossTenantPeopleOnly: ['hotline'],
} as const;

/** Referrals are a named person's act: the hotline's people's and admins'. */
const REFERRERS = { roles: ['hotline', 'admin'], tenant: 'none', sessionOnly: true } as const;
/** The authority every sample referral names (a side tenant of the matrix's fixtures). */
const REFERRAL = { authorityTenantId: 'authority-tenant-own', reason: 'matrix' };

/**
 * A form post to a public page that the page's own checks refuse: the `status` it answers everyone alike, which
 * shows it asks no credential.
 */
const formPost = (url: string, payload: string, status: number): MatrixEntry => ({
  ...PUBLIC,
  publicStatus: status,
  sample: () => ({ url, payload, contentType: 'application/x-www-form-urlencoded' }),
});

export const REPORTS_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'GET /report': PUBLIC,
  // A public page answers HEAD as GET (a link previewer asks so), for everyone alike.
  'HEAD /report': PUBLIC,
  // Without the token a served form carries, a post is refused by the form's own check.
  'POST /report': formPost(
    '/report',
    'urls=https%3A%2F%2Fmatrix.example%2Fa&category=other&token=forged',
    400,
  ),
  'GET /report/status': PUBLIC,
  'HEAD /report/status': PUBLIC,
  // A status code nobody was given: not found.
  'POST /report/status': formPost('/report/status', 'code=0000-0000-0000&lang=en', 404),
  // A trailing slash leads to the page, for everyone alike.
  'GET /report/': { ...PUBLIC, publicStatus: 301 },
  'GET /report/status/': { ...PUBLIC, publicStatus: 301 },
  'HEAD /report/': { ...PUBLIC, publicStatus: 301 },
  'HEAD /report/status/': { ...PUBLIC, publicStatus: 301 },
  'GET /report/report.css': PUBLIC,
  'GET /report/pow.js': PUBLIC,
  'POST /v1/reports': {
    roles: ['hotline', 'platform'],
    tenant: 'own',
    sample: (c) => ({
      url: '/v1/reports',
      payload: { urls: [`https://matrix.example/${c.unique}`], category: 'other', description: 'matrix' },
    }),
  },
  'GET /v1/reports': { ...READ, sample: () => ({ url: '/v1/reports?limit=200' }), shows: (c) => c.reportId },
  'GET /v1/reports/:id': { ...READ, ...about('reportId', '/v1/reports/:id') },
  // A person takes responsibility (a key cannot: sessionOnly).
  'POST /v1/reports/:id/owner': {
    roles: ['hotline', 'reviewer', 'admin'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('reportId', '/v1/reports/:id/owner'),
  },
  // A hotline person's alone: a key, the hotline's too, is refused (sessionOnly).
  'GET /v1/reports/:id/contact': {
    roles: ['hotline'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('reportId', '/v1/reports/:id/contact'),
  },
  // Legal holds: the evidence holders' roles, on any report (the hold, not the report, is the authority's); after the
  // hold route (registration order), the hold each caller placed is released by it.
  'POST /v1/reports/:id/legal-hold': {
    roles: ['authority', 'admin'],
    tenant: 'none',
    sample: requestFor('reportId', '/v1/reports/:id/legal-hold', { reason: 'matrix' }),
  },
  'POST /v1/reports/:id/legal-hold/release': {
    roles: ['authority', 'admin'],
    tenant: 'none',
    sample: requestFor('reportId', '/v1/reports/:id/legal-hold/release', { reason: 'matrix' }),
  },
  'GET /v1/report-stats': { roles: ['authority', 'hotline', 'reviewer', 'admin'], tenant: 'none' },
  // Referrals (people of the hotline, admins): after the referral route (registration order), each person withdraws
  // the referral they made of their side's report; referring again is idempotent (200).
  'GET /v1/reports/referral-targets': REFERRERS,
  'POST /v1/reports/:id/referrals': {
    ...REFERRERS,
    sample: requestFor('reportId', '/v1/reports/:id/referrals', REFERRAL),
  },
  'POST /v1/reports/:id/referrals/:authorityTenantId/withdraw': {
    ...REFERRERS,
    sample: (c) => ({
      url: `/v1/reports/${c.reportId}/referrals/${REFERRAL.authorityTenantId}/withdraw`,
      payload: { reason: 'matrix' },
    }),
  },
  'GET /v1/reports/:id/referrals': {
    roles: ['hotline', 'reviewer', 'admin'],
    tenant: 'none',
    sessionOnly: true,
    sample: requestFor('reportId', '/v1/reports/:id/referrals'),
  },
  // An authority reads the reports referred to its tenant (its side's report is); another's answer 404.
  'GET /v1/referred-reports': {
    roles: ['authority'],
    tenant: 'own',
    sample: () => ({ url: '/v1/referred-reports?limit=200' }),
    shows: (c) => c.reportId,
  },
  'GET /v1/referred-reports/:id': {
    roles: ['authority'],
    tenant: 'own',
    ...about('reportId', '/v1/referred-reports/:id'),
  },
  // Its own holds on reports no longer referred to it (none in the fixtures): the list, to its authority alone.
  'GET /v1/referred-reports/held': { roles: ['authority'], tenant: 'own' },
};
