import { Type } from '@fastify/type-provider-typebox';
import { getSubmission } from '@mod/db';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import { orderScope, Uuid, type RouteDeps, type TypedApp } from './common.js';

/** A submitter follows its submission: status, decision, orders. */
export function submissionRoutes(app: TypedApp, deps: RouteDeps): void {
  app.get(
    '/v1/submissions/:id',
    {
      config: { roles: ['platform', 'authority', 'reviewer', 'admin'] },
      schema: { params: Type.Object({ id: Uuid }) },
    },
    async (req) => {
      const p = principalOf(req);
      const s = await getSubmission(deps.db, req.params.id);
      const mayRead = s !== null && (orderScope(p).all || s.tenantId === p.tenantId);
      if (!mayRead) throw notFound('submission');
      return s;
    },
  );
}
