/**
 * The authorization matrix's entries for ISP integration (routes/isp-*.ts; authz-matrix.test-helper.ts spreads them
 * in): an ISP uploads its own traffic, reads its own feeds, acknowledges its own blocking requests; the walled-garden
 * page is public.
 */
import type { MatrixEntry } from './authz-matrix-entry.test-helper.js';

export const ISP_MATRIX: Readonly<Record<string, MatrixEntry>> = {
  'POST /v1/isp/traffic-samples': {
    roles: ['isp'],
    tenant: 'own',
    sample: () => ({
      url: '/v1/isp/traffic-samples',
      // A line the route rejects (not http): the answer lists it, and nothing needs publishing.
      payload: '{"url":"ftp://example.org/a.jpg"}\n',
      contentType: 'application/x-ndjson',
    }),
  },
  'GET /v1/isp/feeds/:format': {
    roles: ['isp'],
    tenant: 'own',
    sample: () => ({ url: '/v1/isp/feeds/url-list' }),
  },
  'GET /v1/isp/feeds/url-list.json': {
    roles: ['isp'],
    tenant: 'own',
    sample: () => ({ url: '/v1/isp/feeds/url-list.json' }),
  },
  'POST /v1/isp/blocking-requests/:orderId/acknowledgements': {
    roles: ['isp'],
    tenant: 'own',
    sample: (c) => ({
      url: `/v1/isp/blocking-requests/${c.orderId}/acknowledgements`,
      payload: { status: 'applied' },
    }),
    shows: (c) => c.orderId,
  },
  'GET /blocked': { roles: 'public', tenant: 'none', sample: () => ({ url: '/blocked?ref=matrix' }) },
};
