import { Type } from '@fastify/type-provider-typebox';
import { getSubmission } from '@mod/db';
import { scopeOf } from '../auth.js';
import { inScope, SUBMISSION_OVERSIGHT_ROLES } from '../authz.js';
import { notFound } from '../errors.js';
import { ErrorResponses, Uuid, type RouteDeps, type TypedApp } from './common.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const SubmissionBody = Type.Object(
  {
    id: Uuid,
    tenantId: Type.String(),
    source: Type.String(),
    externalRef: Nullable(Type.String()),
    reportedCategory: Nullable(Type.String()),
    sha256: Nullable(Type.String()),
    status: Type.Union([Type.Literal('received'), Type.Literal('scanned'), Type.Literal('failed')]),
    decision: Nullable(Type.String()),
    failureCode: Nullable(Type.String()),
    receivedAt: Type.String(),
    scannedAt: Nullable(Type.String()),
    orderIds: Type.Array(Uuid),
  },
  { additionalProperties: false },
);

/** A submitter follows its submission: status, decision, orders. Another tenant's submission answers 404. */
export function submissionRoutes(app: TypedApp, deps: RouteDeps): void {
  app.get(
    '/v1/submissions/:id',
    {
      config: {
        roles: ['platform', 'authority', 'reviewer', 'admin'],
        tenant: 'own',
        crossTenant: SUBMISSION_OVERSIGHT_ROLES,
      },
      schema: {
        params: Type.Object({ id: Uuid }, { additionalProperties: false }),
        response: { 200: SubmissionBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const s = await getSubmission(deps.db, req.params.id);
      if (s === null || !inScope(scopeOf(req), s.tenantId)) throw notFound('submission');
      return s;
    },
  );
}
