/**
 * The authorization matrix's entries for curation (authz-matrix.test-helper.ts spreads them in): hash banks and URL
 * lists are shared data, no tenant; curators and admins change them, authorities (and reviewers, for banks) see which
 * exist.
 */
import { hex64, requestFor, type MatrixEntry } from './authz-matrix-entry.test-helper.js';

/** Changes (and reads of the contents) of shared curation data: curators and admins. */
const CURATE = { roles: ['curator', 'admin'], tenant: 'none' } as const;

export const CURATION_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  // Hash banks: shared curation data, no tenant.
  'GET /v1/banks': { roles: ['curator', 'admin', 'authority', 'reviewer'], tenant: 'none' },
  'POST /v1/banks': {
    ...CURATE,
    sample: (c) => ({
      url: '/v1/banks',
      payload: {
        name: `bank-${c.unique}`,
        source: 'matrix',
        signalTypes: ['sha256'],
        actionPolicy: 'review',
      },
    }),
  },
  'PATCH /v1/banks/:id': {
    ...CURATE,
    sample: requestFor('bankId', '/v1/banks/:id', { enabled: true }),
  },
  'POST /v1/banks/:id/import': {
    ...CURATE,
    sample: (c) => ({
      url: `/v1/banks/${c.bankId}/import?format=csv&mode=append`,
      payload: `sha256,${hex64(c.unique)}\n`,
      contentType: 'text/csv',
    }),
  },
  'GET /v1/banks/search': {
    ...CURATE,
    sample: (c) => ({ url: `/v1/banks/search?q=${hex64(c.unique)}` }),
  },
  'GET /v1/banks/:id/export': {
    ...CURATE,
    sample: (c) => ({ url: `/v1/banks/${c.bankId}/export?format=csv` }),
  },

  // URL-list banks: shared curation data, no tenant (authorities may see which lists exist, not their entries).
  'GET /v1/url-lists': { roles: ['curator', 'admin', 'authority'], tenant: 'none' },
  'POST /v1/url-lists': {
    ...CURATE,
    sample: (c) => ({
      url: '/v1/url-lists',
      payload: { name: `urls-${c.unique}`, source: 'matrix', actionPolicy: 'review' },
    }),
  },
  'PATCH /v1/url-lists/:bankId': {
    ...CURATE,
    sample: requestFor('urlListId', '/v1/url-lists/:bankId', { enabled: true }),
  },
  'GET /v1/url-lists/:bankId/entries': {
    ...CURATE,
    sample: (c) => ({ url: `/v1/url-lists/${c.urlListId}/entries?limit=10` }),
  },
  'POST /v1/url-lists/:bankId/entries': {
    ...CURATE,
    sample: (c) => ({
      url: `/v1/url-lists/${c.urlListId}/entries`,
      payload: { entries: [{ kind: 'url', pattern: `matrix.example/${c.unique}` }] },
    }),
  },
  'POST /v1/url-lists/:bankId/entries/remove': {
    ...CURATE,
    sample: (c) => ({
      url: `/v1/url-lists/${c.urlListId}/entries/remove`,
      payload: { entries: [{ kind: 'url', pattern: `matrix.example/${c.unique}` }], reason: 'matrix' },
    }),
  },
  'POST /v1/url-lists/:bankId/import': {
    ...CURATE,
    sample: (c) => ({
      url: `/v1/url-lists/${c.urlListId}/import?format=txt&mode=append`,
      payload: `matrix.example/${c.unique}\n`,
      contentType: 'text/plain',
    }),
  },
};
