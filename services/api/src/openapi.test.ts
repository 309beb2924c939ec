import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf, type RegisteredRoute } from './app.js';
import { useCallersWorld } from './callers-world.test-helper.js';

const api = useCallersWorld();
beforeAll(async () => {
  await api.app.ready();
});

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Whether a declared response is a schema, or a `{ content: { mediaType: { schema } } }` map with one per type. */
function hasSchema(response: unknown): boolean {
  const r = response as { type?: unknown; anyOf?: unknown; content?: Record<string, { schema?: unknown }> };
  if (r.content !== undefined)
    return Object.keys(r.content).length > 0 && Object.values(r.content).every((c) => c.schema !== undefined);
  return r.type !== undefined || r.anyOf !== undefined;
}

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
  const success = Object.entries(s.response ?? {}).filter(([code]) => /^2/.test(code));
  if (success.length === 0 || !success.every(([, schema]) => hasSchema(schema))) out.push('2xx response');
  return out;
}

describe('OpenAPI document', () => {
  it("says a tenant's disabling reaches its Kafka principal through the scheduled standing reconcile", async () => {
    // The API cannot change ACLs: an admin reading the operation must not take the broker as switched off at once.
    const doc = (await api.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { description?: string; requestBody?: unknown }>>;
    }>();
    const op = doc.paths['/v1/admin/tenants/{tenantId}']?.['patch'];
    expect(op?.description).toMatch(
      /suspended on the broker by the standing reconcile \(modctl kafka standing/,
    );
    expect(op?.description).toMatch(/until then the broker still takes its produce/);
    expect(JSON.stringify(op?.requestBody)).toMatch(/Kafka principal is suspended by the standing reconcile/);
  });

  it('is generated from the route schemas and served at /openapi.json, with roles per operation', async () => {
    const res = await api.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; 'x-roles'?: string[]; responses?: object }>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of routesOf(api.app)) {
      // Operations routes (health, metrics) and the document itself are not API operations.
      const roles = r.config['roles'] as string[] | undefined;
      if (roles === undefined) continue;
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url} in the document`).toBeDefined();
      const people = roles.some((r) => r !== 'isp' && r !== 'platform');
      expect(op?.security, `${r.method} ${r.url} security`).toEqual(
        r.config['sessionOnly'] === true
          ? [{ session: [] }]
          : [{ apiKey: [] }, ...(people ? [{ session: [] }] : [])],
      );
      expect(op?.['x-roles']).toEqual(roles);
    }
    expect(doc.paths['/v1/admin/tenants/{tenantId}/keys']?.['post']?.responses).toHaveProperty('201');
    // People's sign-in is public and documented; their session routes take the cookie only.
    expect(doc.paths['/v1/session']?.['post']).toBeDefined();
    expect(doc.paths['/v1/session']?.['post']?.security).toBeUndefined();
    expect(doc.paths['/v1/session/totp']?.['post']?.security).toEqual([{ session: [] }]);
    expect(doc.paths['/v1/isp/feeds/{format}']?.['get']?.security).toEqual([{ apiKey: [] }]);
    type Described = { content?: Record<string, { schema?: { type?: string; properties?: object } }> };
    const success = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.responses as Record<string, Described> | undefined)?.['200']?.content;
    // A streamed export is described by its media types (a text body each), not as JSON.
    expect(success('/v1/banks/{id}/export', 'get')).toEqual({
      'text/csv': { schema: { type: 'string' } },
      'text/tab-separated-values': { schema: { type: 'string' } },
      'application/x-ndjson': { schema: { type: 'string' } },
    });
    expect(
      Object.keys(success('/v1/banks/{id}/import', 'post')?.['application/json']?.schema?.properties ?? {}),
    ).toEqual(expect.arrayContaining(['added', 'removed', 'unchanged', 'badLines', 'lineErrors']));
    expect(Object.keys(success('/v1/orders', 'get')?.['application/json']?.schema?.properties ?? {})).toEqual(
      ['orders', 'nextCursor'],
    );
    expect(success('/v1/orders/{id}', 'get')?.['application/json']?.schema?.properties).toHaveProperty(
      'confirmedByTenantId',
    );
  });

  it('every authenticated route declares params, closed query and body schemas, and a 2xx response schema', () => {
    const found: Record<string, string[]> = {};
    for (const r of routesOf(api.app)) {
      const g = gaps(r);
      if (g.length > 0) found[`${r.method} ${r.url}`] = g;
    }
    expect(found).toEqual({});
  });
});
