import { Type } from '@fastify/type-provider-typebox';
import { addUrlListPatterns, removeUrlListPatterns } from '@mod/curation';
import { getUrlListBank, listUrlListEntries } from '@mod/db/url-lists';
import { callerName, principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import {
  auditCallerChange,
  curatorOf,
  ErrorResponses,
  MAX_PAGE,
  Nullable,
  Text,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { answering } from './curation-errors.js';
import {
  CURATOR_ROUTE,
  EntryBody,
  EntryErrorBody,
  EntryId,
  Kind,
  ListParams,
  MAX_ENTRIES_PER_REQUEST,
  NewEntry,
} from './url-list-schemas.js';

/**
 * A URL list's entries: a page at a time, add some (each refused one with its own error), soft-remove some.
 * Every change is announced to fetchers and audited, and so is every page read.
 */
export async function urlListEntryRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  const topic = deps.topics.urlListChanges;

  app.get(
    '/:bankId/entries',
    {
      config: CURATOR_ROUTE,
      schema: {
        description:
          'Entries in id order, a page at a time: pass `nextCursor` as `cursor` for the next page. Every page read is an audit record (url_list.entries_read), appended before an entry is sent.',
        params: ListParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            cursor: Type.Optional(EntryId),
            kind: Type.Optional(Kind),
            includeRemoved: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { entries: Type.Array(EntryBody), nextCursor: Nullable(Type.String()) },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      if ((await getUrlListBank(deps.db, { id: req.params.bankId })) === null) throw notFound('URL list');
      const q = req.query;
      const limit = q.limit ?? 50;
      // Paged to its end, a list leaves the system as an export does (lists are licensed, and name where abuse
      // material is): every page is on record before an entry is sent, so a page the log refuses sends nothing.
      await auditCallerChange(deps.db, principalOf(req), {
        action: 'url_list.entries_read',
        subject: { type: 'bank', id: req.params.bankId },
        evidence: {
          cursor: q.cursor ?? null,
          limit,
          kind: q.kind ?? null,
          includeRemoved: q.includeRemoved ?? false,
        },
      });
      const entries = await listUrlListEntries(deps.db, req.params.bankId, {
        limit,
        ...(q.cursor === undefined ? {} : { afterId: q.cursor }),
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        includeRemoved: q.includeRemoved ?? false,
      });
      const last = entries.at(-1);
      return { entries, nextCursor: entries.length === limit && last !== undefined ? last.id : null };
    },
  );

  app.post(
    '/:bankId/entries',
    {
      config: CURATOR_ROUTE,
      schema: {
        description:
          'Adds entries (patterns may omit the scheme). Entries the URL normaliser refuses are listed in `errors` ' +
          'with their position and code; the others are added. An entry already live (same kind and canonical ' +
          'key) is left as it is and listed in `unchanged`.',
        params: ListParams,
        body: Type.Object(
          { entries: Type.Array(NewEntry, { minItems: 1, maxItems: MAX_ENTRIES_PER_REQUEST }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              added: Type.Array(EntryBody),
              unchanged: Type.Array(EntryBody),
              errors: Type.Array(EntryErrorBody),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return answering(() =>
        addUrlListPatterns(deps.db, {
          bankId: req.params.bankId,
          entries: req.body.entries,
          changesTopic: topic,
          provenance: `api by ${callerName(p)}`,
          by: curatorOf(p),
        }),
      );
    },
  );

  app.post(
    '/:bankId/entries/remove',
    {
      config: CURATOR_ROUTE,
      schema: {
        description:
          'Soft-removes entries, named by id or by kind and pattern (matched on the canonical key); history is ' +
          'kept. Removals naming no live entry of this list are listed in `notFound` by position.',
        params: ListParams,
        body: Type.Object(
          {
            entries: Type.Array(
              Type.Union([
                Type.Object({ id: EntryId }, { additionalProperties: false }),
                Type.Object(
                  { kind: Kind, pattern: Type.String({ minLength: 1, maxLength: 8192 }) },
                  { additionalProperties: false },
                ),
              ]),
              { minItems: 1, maxItems: MAX_ENTRIES_PER_REQUEST },
            ),
            reason: Text(1000),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              removed: Type.Array(EntryBody),
              notFound: Type.Array(Type.Integer()),
              errors: Type.Array(EntryErrorBody),
            },
            { additionalProperties: false },
          ),
          ...ErrorResponses,
        },
      },
    },
    async (req) =>
      answering(() =>
        removeUrlListPatterns(deps.db, {
          bankId: req.params.bankId,
          removals: req.body.entries,
          reason: req.body.reason,
          changesTopic: topic,
          by: curatorOf(principalOf(req)),
        }),
      ),
  );
}
