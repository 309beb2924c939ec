import type { Paths } from './client.js';

/** The JSON body a route answers with on success (200 or 201), from the OpenAPI document. */
export type Answer<
  P extends keyof Paths,
  M extends 'get' | 'post' | 'patch' | 'put' | 'delete',
> = Paths[P] extends {
  [K in M]: { responses: infer R };
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never;

export type Session = Answer<'/v1/session', 'get'>;
export type PersonRole = Session['person']['role'];
export type Order = Answer<'/v1/orders/{id}', 'get'>;
export type OrderStats = Answer<'/v1/order-stats', 'get'>;
export type AuditBundle = Answer<'/v1/audit/export', 'get'>;
