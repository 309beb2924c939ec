import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesOf, type RegisteredRoute } from './app.js';
import { createApiTestWorld, type ApiTestWorld } from './testing.js';

let world: ApiTestWorld;
let app: FastifyInstance;
beforeAll(async () => {
  world = await createApiTestWorld();
  app = await world.build();
  await app.ready();
});
afterAll(async () => world?.close());

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Schema gaps of a route: what its declaration lacks (validation, docs and types all come from it). */
function gaps(r: RegisteredRoute): string[] {
  if (r.config['roles'] === undefined) return [];
  const out: string[] = [];
  const s = r.schema as {
    params?: { additionalProperties?: boolean };
    querystring?: { additionalProperties?: boolean };
    body?: { additionalProperties?: boolean };
    response?: Record<string, unknown>;
    consumes?: string[];
  };
  if (r.url.includes(':') && s.params === undefined) out.push('params');
  if (s.querystring !== undefined && s.querystring.additionalProperties !== false)
    out.push('open querystring');
  if (s.body !== undefined && s.body.additionalProperties !== false) out.push('open body');
  if (!Object.keys(s.response ?? {}).some((code) => /^2/.test(code))) out.push('2xx response');
  return out;
}

/**
 * Routes owned by other groups that still lack part of their schema when this list was written. Shrink it;
 * never grow it: a new route must declare params, query, body and response schemas.
 */
const KNOWN_GAPS: Readonly<Record<string, readonly string[]>> = {
  'GET /v1/orders/:id': ['2xx response'],
  'GET /v1/orders': ['2xx response'],
  'GET /v1/banks/:id/export': ['2xx response'],
  'POST /v1/banks/:id/import': ['2xx response'],
};

describe('OpenAPI document', () => {
  it('is generated from the route schemas and served at /openapi.json, with roles per operation', async () => {
    const res = await app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; 'x-roles'?: string[]; responses?: object }>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of routesOf(app)) {
      // Operations routes (health, metrics) and the document itself are not API operations.
      const roles = r.config['roles'] as string[] | undefined;
      if (roles === undefined) continue;
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url} in the document`).toBeDefined();
      expect(op?.security).toEqual([{ apiKey: [] }]);
      expect(op?.['x-roles']).toEqual(roles);
    }
    expect(doc.paths['/v1/admin/tenants/{tenantId}/keys']?.['post']?.responses).toHaveProperty('201');
  });

  it('every authenticated route declares params, closed query and body schemas, and a 2xx response', () => {
    const found: Record<string, string[]> = {};
    for (const r of routesOf(app)) {
      const g = gaps(r);
      if (g.length > 0) found[`${r.method} ${r.url}`] = g;
    }
    const unexpected = Object.entries(found).filter(
      ([route, g]) => !g.every((x) => KNOWN_GAPS[route]?.includes(x) === true),
    );
    expect(Object.fromEntries(unexpected)).toEqual({});
  });
});
