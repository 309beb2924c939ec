import { Type } from '@fastify/type-provider-typebox';
import { createUrlList, updateUrlListSettings } from '@mod/curation';
import { listUrlListBanks } from '@mod/db/url-lists';
import { principalOf } from '../auth.js';
import { conflict, notFound } from '../errors.js';
import {
  auditActor,
  ErrorResponses,
  NewBankFields,
  newBankFieldsOf,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { answering } from './curation-errors.js';
import { CURATOR_ROUTE, ListParams, Policy, UrlListBody } from './url-list-schemas.js';

/** The URL lists themselves: list them (authorities too), create one, change its settings (announced). */
export async function urlListBankRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const topic = deps.topics.urlListChanges;

  app.get(
    '',
    {
      config: { roles: ['curator', 'admin', 'authority'], tenant: 'none' },
      schema: {
        response: {
          200: Type.Object({ lists: Type.Array(UrlListBody) }, { additionalProperties: false }),
          ...ErrorResponses,
        },
      },
    },
    async () => ({ lists: await listUrlListBanks(deps.db) }),
  );

  app.post(
    '',
    {
      config: CURATOR_ROUTE,
      schema: {
        body: Type.Object(
          {
            ...NewBankFields,
            negative: Type.Optional(Type.Boolean()),
            actionPolicy: Policy,
          },
          { additionalProperties: false },
        ),
        response: { 201: UrlListBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { bank, created } = await answering(() =>
        createUrlList(
          deps.db,
          {
            ...newBankFieldsOf(b),
            negative: b.negative ?? false,
            actionPolicy: b.actionPolicy,
          },
          topic,
          auditActor(principalOf(req)),
        ),
      );
      if (!created) throw conflict(`a URL list named ${b.name} exists already`);
      return reply.code(201).send(bank);
    },
  );

  app.patch(
    '/:bankId',
    {
      config: CURATOR_ROUTE,
      schema: {
        params: ListParams,
        body: Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            negative: Type.Optional(Type.Boolean()),
            actionPolicy: Type.Optional(Policy),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: UrlListBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const bank = await updateUrlListSettings(
        deps.db,
        req.params.bankId,
        req.body,
        topic,
        auditActor(principalOf(req)),
      );
      if (bank === null) throw notFound('URL list');
      return bank;
    },
  );
}
