import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OrderScope, Pool, Principal } from '@mod/db';
import type { Producer } from '@mod/kafka';

/** The fastify instance routes are declared on: TypeBox schemas give validation, types and OpenAPI. */
export type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What route groups may use. */
export interface RouteDeps {
  db: Pool;
  producer: Producer;
  mediaTopic: string;
  /** Largest upload accepted, bytes. */
  maxUploadBytes: number;
  now?: () => Date;
}

export const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});
export const MAX_PAGE = 100;

/** Roles that see every order; the others see only orders addressed to their own tenant. */
export function orderScope(p: Principal): OrderScope {
  return p.role === 'authority' || p.role === 'admin' || p.role === 'reviewer'
    ? { all: true }
    : { all: false, targetTenantId: p.tenantId };
}
