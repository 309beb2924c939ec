import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * Generates the OpenAPI document from the route schemas (one source for validation, types and docs) and serves
 * it at `GET /openapi.json`. Must be registered before the routes it describes. Each authenticated operation
 * carries its security requirements (an API key, a person's session cookie, or either) and its allowed roles
 * (`x-roles`) and tenant rule (`x-tenant`).
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Moderation API',
        version: '1',
        description:
          'Ingest, orders and administration for ISPs, platforms and authorities. Errors: `{error:{code,message}}` with a stable code.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'API key `mod_<prefix>_<secret>`' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: '__Host-mod-session',
            description:
              "A person's session (POST /v1/session); state-changing requests also carry its CSRF token in x-csrf-token",
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const config = (route.config ?? {}) as {
        roles?: readonly string[];
        tenant?: string;
        sessionOnly?: boolean;
      };
      if (config.roles === undefined) return { schema, url };
      // Machines present an API key; people their session cookie (any route their role allows, some only them).
      const people = config.roles.some((r) => r !== 'isp' && r !== 'platform');
      const security: Record<string, string[]>[] =
        config.sessionOnly === true
          ? [{ session: [] }]
          : [{ apiKey: [] }, ...(people ? [{ session: [] }] : [])];
      const described = {
        ...schema,
        security,
        'x-roles': [...config.roles],
        'x-tenant': config.tenant ?? 'none',
      } as FastifySchema;
      return { schema: described, url };
    },
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
