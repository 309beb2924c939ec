/**
 * The authorization matrix's entries for people's sessions and their administration (authz-matrix.test-helper.ts
 * spreads them in). Session routes are for people only: an API key of an allowed role gets 403; every person role
 * reaches them. The authorization matrix test calls every route as every key role and as every person role.
 */
import { PersonRoles } from '@mod/db/people';
import { ADMIN_ONLY, requestFor, type MatrixEntry } from './authz-matrix-entry.test-helper.js';

const SESSION = { roles: PersonRoles, tenant: 'none', sessionOnly: true } as const;

export const PEOPLE_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  // Sign-in is public; the sample signs in a person whose one-time password is never replaced.
  'POST /v1/session': {
    roles: 'public',
    tenant: 'none',
    sample: (c) => ({ url: '/v1/session', payload: { ...c.firstSignIn } }),
  },
  'GET /v1/session': SESSION,
  'DELETE /v1/session': SESSION,
  'POST /v1/session/password': {
    ...SESSION,
    sample: (c) => ({
      url: '/v1/session/password',
      payload: { currentPassword: c.callerPassword, newPassword: `${c.callerPassword} ${c.unique}` },
    }),
  },
  'POST /v1/session/totp': {
    ...SESSION,
    personStage: 'totp',
    sample: (c) => ({ url: '/v1/session/totp', payload: { code: c.callerTotpCode } }),
  },

  // Staff accounts: platform admins only, every tenant's people.
  'GET /v1/admin/people': ADMIN_ONLY,
  'POST /v1/admin/people': {
    ...ADMIN_ONLY,
    sample: (c) => ({
      url: '/v1/admin/people',
      payload: {
        tenantId: c.hotlineTenantId,
        login: `p-${c.unique}`,
        displayName: 'Matrix',
        role: 'reviewer',
      },
    }),
  },
  'GET /v1/admin/people/:personId': {
    ...ADMIN_ONLY,
    sample: requestFor('personId', '/v1/admin/people/:personId'),
  },
  'POST /v1/admin/people/:personId/reset': {
    ...ADMIN_ONLY,
    sample: requestFor('personId', '/v1/admin/people/:personId/reset'),
  },
  'POST /v1/admin/people/:personId/disable': {
    ...ADMIN_ONLY,
    sample: requestFor('personId', '/v1/admin/people/:personId/disable', { reason: 'matrix' }),
  },
  'POST /v1/admin/people/:personId/enable': {
    ...ADMIN_ONLY,
    sample: requestFor('personId', '/v1/admin/people/:personId/enable'),
  },
};
