import { Type } from '@fastify/type-provider-typebox';
import { listLegalBasisChoices, listOrderTargets } from '@mod/db/orders';
import { ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

/** Who issues orders by hand (as `POST /v1/orders`), and so reads what an order may cite and address. */
const ISSUERS = { roles: ['authority', 'admin'], tenant: 'none' } as const;
const Texts = Type.Object({ vi: Type.String(), en: Type.String() }, { additionalProperties: false });

/**
 * What an authority picks from when issuing an order (`POST /v1/orders`): the legal bases it may cite (its
 * `legalBasisId`, the same table the order route checks) and the tenants it may address (`targetTenantId`:
 * platforms for takedown orders, ISPs for blocking orders; names only).
 */
export async function orderIssuingRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/legal-bases',
    {
      config: ISSUERS,
      schema: {
        description:
          'The legal bases an order may cite, by id (`legalBasisId` of `POST /v1/orders`), with the citation and ' +
          'the authority in Vietnamese and English and the deadline they set, shortest deadline first.',
        response: {
          200: Type.Object(
            {
              legalBases: Type.Array(
                Type.Object(
                  {
                    id: Type.String(),
                    citation: Texts,
                    authority: Texts,
                    deadlineMinutes: Type.Integer({ minimum: 1 }),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async () => ({ legalBases: await listLegalBasisChoices(deps.db) }),
  );

  app.get(
    '/targets',
    {
      config: ISSUERS,
      schema: {
        description:
          'The tenants an order may be addressed to (`targetTenantId` of `POST /v1/orders`): platforms (takedown ' +
          'orders) and ISPs (blocking orders) that are not disabled; id, name and kind only.',
        response: {
          200: Type.Object(
            {
              targets: Type.Array(
                Type.Object(
                  {
                    id: Type.String(),
                    name: Type.String(),
                    kind: Type.Union([Type.Literal('platform'), Type.Literal('isp')]),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async () => ({ targets: await listOrderTargets(deps.db) }),
  );
}
