/**
 * The authorization matrix's entries for people's sessions and their administration (authz-matrix.ts spreads
 * them in). Session routes are for people only: an API key of an allowed role gets 403; every person role
 * reaches them. The authorization matrix test calls every route as every key role and as every person role.
 */
import { PersonRoles } from '@mod/db/people';
import type { MatrixEntry } from './authz-matrix-entry.js';

const SESSION = { roles: PersonRoles, tenant: 'none', sessionOnly: true } as const;
const ADMIN = { roles: ['admin'], tenant: 'none' } as const;

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
  'GET /v1/admin/people': ADMIN,
  'POST /v1/admin/people': {
    ...ADMIN,
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
  'GET /v1/admin/people/:personId': { ...ADMIN, sample: (c) => ({ url: `/v1/admin/people/${c.personId}` }) },
  'POST /v1/admin/people/:personId/reset': {
    ...ADMIN,
    sample: (c) => ({ url: `/v1/admin/people/${c.personId}/reset` }),
  },
  'POST /v1/admin/people/:personId/disable': {
    ...ADMIN,
    sample: (c) => ({ url: `/v1/admin/people/${c.personId}/disable`, payload: { reason: 'matrix' } }),
  },
  'POST /v1/admin/people/:personId/enable': {
    ...ADMIN,
    sample: (c) => ({ url: `/v1/admin/people/${c.personId}/enable` }),
  },
};
