import type { FastifyInstance, InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mod/telemetry';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * The request log of the pages meant for the public (report form, report status, walled-garden page) names no
 * visitor: no client address or port, no `Host` (on the walled-garden page, the blocked site the user tried to
 * reach), no query. Partners' routes keep fastify's full line, address included (the contrast below shows the
 * capture sees addresses where they are logged).
 */
const api = useCallersWorld();
const lines: Record<string, unknown>[] = [];
let app: FastifyInstance;

beforeAll(async () => {
  const logger = createLogger('api', 'info', {
    write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
  });
  app = await api.world.build({ logger });
});

const VISITOR = '198.51.100.23';

/** The `req` of every log line written while `request` is answered (fastify's incoming-request line carries it). */
async function loggedRequests(request: InjectOptions): Promise<object[]> {
  lines.length = 0;
  await app.inject({ remoteAddress: VISITOR, ...request });
  return lines.flatMap((l) => (typeof l['req'] === 'object' && l['req'] !== null ? [l['req']] : []));
}

describe('who visits the public pages is not logged', () => {
  it.each([
    { method: 'GET' as const, url: '/report?lang=en' },
    { method: 'GET' as const, url: '/report/status?lang=vi' },
    {
      method: 'POST' as const,
      url: '/report/status',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'code=ABCD-EFGH-IJKL-MNOP',
    },
    {
      method: 'GET' as const,
      url: '/blocked?ref=order-42&lang=en',
      headers: { host: 'blocked-site.example' },
    },
  ])('$method $url', async (request) => {
    const logged = await loggedRequests(request);
    expect(logged.length).toBeGreaterThan(0);
    for (const req of logged) {
      expect(req).toEqual({ method: request.method, url: request.url.split('?')[0] });
    }
    expect(JSON.stringify(lines)).not.toContain(VISITOR);
    expect(JSON.stringify(lines)).not.toContain('blocked-site.example');
  });

  it("still logs a partner route's caller address", async () => {
    const logged = await loggedRequests({ method: 'GET', url: '/v1/orders' });
    expect(logged).toContainEqual(expect.objectContaining({ remoteAddress: VISITOR }));
  });
});
