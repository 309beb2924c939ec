import { Type } from '@fastify/type-provider-typebox';
import { getSubmission } from '@mod/db/submissions';
import { principalOf } from '../auth.js';
import { SUBMISSION_OVERSIGHT_ROLES, submissionScopeFor } from '../authz.js';
import { notFound } from '../errors.js';
import { ErrorResponses, Nullable, Uuid, type RouteDeps, type TypedApp } from './common.js';

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

/**
 * A submitter follows its submission: status, decision, orders. Another tenant's submission answers 404,
 * except to oversight (reviewers, admins) and to an authority that may see one of its orders (an order it
 * issued or confirmed, or an automatic order awaiting confirmation): the submission is that order's evidence.
 * An authority is shown only the ids of the orders it may see (`SubmissionScope` in @mod/db).
 */
export async function submissionRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/:id',
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
      const s = await getSubmission(deps.db, req.params.id, submissionScopeFor(principalOf(req)));
      if (s === null) throw notFound('submission');
      return s;
    },
  );
}
