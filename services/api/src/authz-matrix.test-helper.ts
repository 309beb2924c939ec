/**
 * THE AUTHORIZATION MATRIX: ONE ENTRY PER ROUTE. ADDING A ROUTE? ADD ITS ENTRY HERE.
 *
 * `authz-matrix.test.ts` enumerates every route the app actually registers (fastify `onRoute`) and fails when a
 * route has no entry here, when an entry names no registered route, or when behaviour differs from the entry:
 * it calls every route as every role (and anonymously), for an object of the caller's own tenant and of another
 * tenant, and asserts the exact outcome: 401 without a key, 403 for a role not listed, 2xx for an allowed role,
 * and for `tenant: 'own'` and `tenant: 'order'` routes 404 (or absence from a list) for another tenant's object
 * unless the role is in `crossTenant`. For orders, a side's order is one its tenant is party to: addressed to
 * it (ISPs, platforms, and the fixture tenants of the other roles), or, for authorities, issued by it; so an
 * authority calling about the other authority's order must get 404.
 *
 * Every route is also called as a person of every person role (a session cookie, with its CSRF token), who must
 * get what a key of that role gets, except on `sessionOnly` routes, which answer 403 to keys.
 *
 * Key: `METHOD /url` exactly as registered (`:param` placeholders). `sample` builds a valid request from the
 * fixtures of one side (own or other tenant of the calling role); `shows` names the id a visible answer
 * contains (and a hidden one must not). Keep entries consistent with the route's own `config`.
 */
import type { Role } from '@mod/db/access';
import type { MatrixEntry } from './authz-matrix-entry.test-helper.js';
import { CASES_MATRIX } from './authz-matrix-cases.test-helper.js';
import { CURATION_MATRIX } from './authz-matrix-curation.test-helper.js';
import { about, ADMIN_ONLY, hex64, PUBLIC, requestFor } from './authz-matrix-entry.test-helper.js';
import { EVIDENCE_MATRIX } from './authz-matrix-evidence.test-helper.js';
import { ISP_MATRIX } from './authz-matrix-isp.test-helper.js';
import { PEOPLE_MATRIX } from './authz-matrix-people.test-helper.js';
import { REPORTS_MATRIX } from './authz-matrix-reports.test-helper.js';

export type {
  AccessFixtureContext,
  BoundReviewerRow,
  MatrixEntry,
  MatrixOutcome,
  PeopleFixtureContext,
  SampleContext,
  SampleRequest,
} from './authz-matrix-entry.test-helper.js';

const EVERY_ROLE: readonly Role[] = [
  'isp',
  'platform',
  'authority',
  'reviewer',
  'curator',
  'admin',
  'hotline',
];
/**
 * Orders a caller reads: a target those addressed to it, an authority those it issued or confirmed (and
 * unconfirmed automatic ones); reviewers and admins every order.
 */
const ORDER_READ = {
  roles: ['isp', 'platform', 'authority', 'reviewer', 'admin'],
  tenant: 'order',
  crossTenant: ['reviewer', 'admin'],
} as const;
/** A target answers the orders addressed to it. */
const TARGET_ANSWERS = { roles: ['isp', 'platform'], tenant: 'order' } as const;
/** An authority steers (and reads the audit records of) its own orders; admins every order. */
const AUTHORITY_STEERS = { roles: ['authority', 'admin'], tenant: 'order', crossTenant: ['admin'] } as const;
/** An authority also reads the submissions behind orders it may see (tested in order-scope.test.ts). */
const SUBMISSION_OVERSIGHT: readonly Role[] = ['reviewer', 'admin'];
const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * The entries of order commands (`POST /v1/orders/:id/<verb>`, each declared by `orderCommandRoute`) for the
 * callers of `access`: each verb with the body its sample sends (`undefined`: none), in the order given.
 */
const orderCommands = (
  access: Pick<MatrixEntry, 'roles' | 'tenant' | 'crossTenant'>,
  bodies: Readonly<Record<string, object | undefined>>,
): Record<string, MatrixEntry> =>
  Object.fromEntries(
    Object.entries(bodies).map(([verb, body]) => [
      `POST /v1/orders/:id/${verb}`,
      { ...access, ...about('orderId', `/v1/orders/:id/${verb}`, body) },
    ]),
  );

export const AUTHZ_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  // Operations and documentation: public.
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  'GET /openapi.json': PUBLIC,
  // The web console's static files (console.ts): public, the console signs people in itself.
  'GET /console': PUBLIC,
  'GET /console/*': PUBLIC,

  // Ingest: media always belongs to the caller's tenant (taken from the credential, never from input).
  'POST /v1/media': {
    roles: ['platform', 'admin'],
    tenant: 'own',
    sample: () => ({ url: '/v1/media', media: tinyPng }),
  },
  'GET /v1/submissions/:id': {
    roles: ['platform', 'authority', 'reviewer', 'admin'],
    tenant: 'own',
    crossTenant: SUBMISSION_OVERSIGHT,
    ...about('submissionId', '/v1/submissions/:id'),
  },

  // Evidence vault (authz-matrix-evidence.test-helper.ts).
  ...EVIDENCE_MATRIX,

  // Orders: a target sees the orders addressed to it, an authority the orders it issued or confirmed (another
  // authority's answer 404); reviewers and admins see all.
  'GET /v1/orders': {
    ...ORDER_READ,
    sample: () => ({ url: '/v1/orders?limit=100' }),
    shows: (c) => c.orderId,
  },
  'GET /v1/orders/:id': { ...ORDER_READ, ...about('orderId', '/v1/orders/:id') },

  // Order lifecycle (registration order matters: each role answers its own side's order once per route).
  // Targets answer orders addressed to them: dispute, then acknowledge, then report the action.
  ...orderCommands(TARGET_ANSWERS, {
    dispute: { reason: 'not hosted here' },
    acknowledge: undefined,
    actioned: { note: 'removed' },
  }),
  'GET /v1/orders/:id/deliveries': { ...ORDER_READ, ...about('orderId', '/v1/orders/:id/deliveries') },
  // Authorities issue orders by hand and steer their own orders (confirm, extend, pause, resume, withdraw);
  // admins steer any order.
  'POST /v1/orders': {
    roles: ['authority', 'admin'],
    tenant: 'none',
    sample: (c) => ({
      url: '/v1/orders',
      payload: {
        kind: 'blocking',
        targetTenantId: c.ispTenantId,
        subject: { type: 'url', value: `https://bad.example/${c.unique}` },
        legalBasisId: 'vn-decree-147-request',
      },
    }),
  },
  ...orderCommands(AUTHORITY_STEERS, {
    // No body: the note is optional.
    confirm: undefined,
    extend: { hours: 12, reason: 'more time' },
    pause: { reason: 'awaiting clarification' },
    resume: undefined,
    withdraw: { reason: 'issued in error' },
  }),
  // Compliance statistics over the orders the caller sees: targets and authorities their own, oversight all.
  // What an authority picks from to issue an order: shared configuration and tenant names, no tenant scope.
  'GET /v1/orders/legal-bases': { roles: ['authority', 'admin'], tenant: 'none' },
  'GET /v1/orders/targets': { roles: ['authority', 'admin'], tenant: 'none' },
  'GET /v1/order-stats': ORDER_READ,
  // Where a tenant's orders (and escalations) are pushed: its own endpoint only. Targets' integrations point it;
  // an authority reads it, the admin sets it (its officers must not redirect every future notice).
  'PUT /v1/order-webhook': {
    roles: ['isp', 'platform'],
    tenant: 'own',
    sample: (c) => ({ url: '/v1/order-webhook', payload: { url: `https://hooks.example.org/${c.unique}` } }),
  },
  'GET /v1/order-webhook': {
    roles: ['isp', 'platform', 'authority'],
    tenant: 'own',
    shows: (c) => c.tenantId,
  },

  // Hash banks and URL lists: shared curation data, no tenant (authz-matrix-curation.test-helper.ts).
  ...CURATION_MATRIX,

  // Self-service: the caller's own tenant only, for every role (no oversight here).
  'GET /v1/me': { roles: EVERY_ROLE, tenant: 'own', shows: (c) => c.tenantId },
  'GET /v1/keys': { roles: EVERY_ROLE, tenant: 'own', shows: (c) => c.keyId },
  // A key revokes itself (a leaked key is killed by its holder), never a sibling: the side's spare key is another
  // key of the caller's tenant, which only an admin revokes (403 MOD_ERR_API_KEY_NOT_OWN to anyone else).
  'POST /v1/keys/:keyId/revoke': {
    roles: EVERY_ROLE,
    tenant: 'own',
    ownObjectRoles: ['admin'],
    ...about('keyId', '/v1/keys/:keyId/revoke'),
  },

  // Administration: tenants, keys, roles, client certificates. Admin only; platform-wide.
  'GET /v1/admin/tenants': ADMIN_ONLY,
  'POST /v1/admin/tenants': {
    ...ADMIN_ONLY,
    sample: (c) => ({
      url: '/v1/admin/tenants',
      payload: { id: `t-${c.unique}`, kind: 'platform', name: 'New' },
    }),
  },
  'PATCH /v1/admin/tenants/:tenantId': {
    ...ADMIN_ONLY,
    sample: requestFor('tenantId', '/v1/admin/tenants/:tenantId', { name: 'Renamed' }),
  },
  'GET /v1/admin/tenants/:tenantId/keys': {
    ...ADMIN_ONLY,
    sample: requestFor('tenantId', '/v1/admin/tenants/:tenantId/keys'),
  },
  'POST /v1/admin/tenants/:tenantId/keys': {
    ...ADMIN_ONLY,
    sample: requestFor('ispTenantId', '/v1/admin/tenants/:tenantId/keys', { role: 'isp', label: 'matrix' }),
  },
  'POST /v1/admin/keys/:keyId/revoke': {
    ...ADMIN_ONLY,
    sample: requestFor('keyId', '/v1/admin/keys/:keyId/revoke'),
  },
  'PATCH /v1/admin/keys/:keyId': {
    ...ADMIN_ONLY,
    sample: requestFor('keyId', '/v1/admin/keys/:keyId', { role: 'admin' }),
  },
  'POST /v1/admin/tenants/:tenantId/certificates': {
    ...ADMIN_ONLY,
    sample: (c) => ({
      url: `/v1/admin/tenants/${c.ispTenantId}/certificates`,
      payload: { fingerprintSha256: hex64(`${c.unique}${c.unique}`) },
    }),
  },
  'POST /v1/admin/certificates/:certificateId/revoke': {
    ...ADMIN_ONLY,
    sample: requestFor('certificateId', '/v1/admin/certificates/:certificateId/revoke'),
  },
  'PUT /v1/admin/tenants/:tenantId/order-webhook': {
    ...ADMIN_ONLY,
    sample: (c) => ({
      url: `/v1/admin/tenants/${c.ispTenantId}/order-webhook`,
      payload: { url: `https://hooks.example.org/${c.unique}` },
    }),
  },
  'GET /v1/admin/order-webhooks': ADMIN_ONLY,
  'GET /v1/admin/tenants/:tenantId/order-webhook': {
    ...ADMIN_ONLY,
    sample: requestFor('ispTenantId', '/v1/admin/tenants/:tenantId/order-webhook'),
  },
  'DELETE /v1/admin/tenants/:tenantId/order-webhook': {
    ...ADMIN_ONLY,
    sample: requestFor('ispTenantId', '/v1/admin/tenants/:tenantId/order-webhook'),
  },
  'GET /v1/admin/tenants/:tenantId/feed-settings': {
    ...ADMIN_ONLY,
    sample: requestFor('ispTenantId', '/v1/admin/tenants/:tenantId/feed-settings'),
  },
  'PUT /v1/admin/tenants/:tenantId/feed-settings': {
    ...ADMIN_ONLY,
    sample: requestFor('ispTenantId', '/v1/admin/tenants/:tenantId/feed-settings', {
      zoneName: 'rpz.mod.local',
      walledGardenHost: null,
    }),
  },

  // The verifiable audit log: authorities and admins. Heads and consistency proofs carry no record contents;
  // records, their evidence and exports are scoped like the orders they describe (an authority reads the
  // records about its own orders, not about the other authority's; admins read all).
  'GET /v1/audit/tree-heads/latest': { roles: ['authority', 'admin'], tenant: 'none' },
  'GET /v1/audit/tree-heads/:treeSize': {
    roles: ['authority', 'admin'],
    tenant: 'none',
    sample: (c) => ({ url: `/v1/audit/tree-heads/${c.auditTreeSize}` }),
  },
  'GET /v1/audit/records/:seq/inclusion-proof': {
    ...AUTHORITY_STEERS,
    sample: (c) => ({ url: `/v1/audit/records/${c.auditSeq}/inclusion-proof?treeSize=${c.auditTreeSize}` }),
    shows: (c) => c.orderId,
  },
  'GET /v1/audit/records/:seq/evidence': {
    ...AUTHORITY_STEERS,
    sample: (c) => ({ url: `/v1/audit/records/${c.auditSeq}/evidence` }),
    shows: (c) => c.orderId,
  },
  'GET /v1/audit/consistency-proof': {
    roles: ['authority', 'admin'],
    tenant: 'none',
    sample: (c) => ({ url: `/v1/audit/consistency-proof?fromSize=1&toSize=${c.auditTreeSize}` }),
  },
  'GET /v1/audit/export': {
    ...AUTHORITY_STEERS,
    sample: (c) => ({ url: `/v1/audit/export?ref=${c.orderId}&treeSize=${c.auditTreeSize}` }),
    // The scope echoes the ref asked for; only a visible record is an entry.
    shows: (c) => `"leafIndex":${c.auditSeq},`,
  },
  // Erasing a record's free text (kept beside the log, the record holds its commitment): admins only, audited.
  'POST /v1/audit/records/:seq/texts/:field/erase': {
    ...ADMIN_ONLY,
    sample: (c) => ({
      url: `/v1/audit/records/${c.auditSeq}/texts/reason/erase`,
      payload: { reason: 'matrix' },
    }),
  },

  // ISP integration (authz-matrix-isp.test-helper.ts).
  ...ISP_MATRIX,

  // People's sessions and their administration (authz-matrix-people.test-helper.ts).
  ...PEOPLE_MATRIX,

  // Review cases, review settings and bank proposals (authz-matrix-cases.test-helper.ts).
  ...CASES_MATRIX,

  // Citizens' reports: the public form, the hotline's intake, operators' reads, figures
  // (authz-matrix-reports.test-helper.ts).
  ...REPORTS_MATRIX,
};
