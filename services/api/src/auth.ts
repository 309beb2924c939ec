import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appendAuditAlone, verifyApiKey, type Pool, type Principal, type Role } from '@mod/db';
import { forbidden, unauthenticated } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route; absent means the route is public (health, metrics). */
    roles?: readonly Role[];
  }
}

/**
 * Authentication and role checks in one place: every route declares `config.roles`; a request to such a route
 * must carry `Authorization: Bearer <key>` of an allowed role. Failed authentication is audited.
 */
export function registerAuth(app: FastifyInstance, db: Pool, now: () => Date): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) return;
    const header = req.headers.authorization;
    const key = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const check =
      key === '' ? ({ ok: false, reason: 'missing' } as const) : await verifyApiKey(db, key, now());
    if (!check.ok) {
      await appendAuditAlone(db, {
        actor: { kind: 'user', id: 'anonymous' },
        action: 'auth.failed',
        subject: { type: 'route', id: `${req.method} ${req.routeOptions.url ?? ''}` },
        reason: check.reason,
      }).catch((err: unknown) => req.log.error({ err }, 'could not audit an authentication failure'));
      throw unauthenticated();
    }
    if (!roles.includes(check.principal.role)) throw forbidden();
    req.principal = check.principal;
  });
}

/** The principal of an authenticated route (the hook guarantees it is set). */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw unauthenticated();
  return req.principal;
}
