import { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import {
  addUrlListPatterns,
  createUrlList,
  CurationError,
  CurationErrorCode,
  importUrlList,
  MAX_CATEGORY_CHARS,
  MAX_NOTE_CHARS,
  removeUrlListPatterns,
  updateUrlListSettings,
  type Curator,
  type EntryError,
} from '@mod/curation';
import { getUrlListBank, listUrlListBanks, listUrlListEntries, type Principal } from '@mod/db';
import { principalOf } from '../auth.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { ErrorResponses, MAX_PAGE, Text, Uuid, type RouteDeps, type TypedApp } from './common.js';

export interface UrlListRouteDeps extends RouteDeps {
  /** Largest list the import route accepts, bytes. */
  maxListBytes: number;
}

/** Entries per add or remove request. */
export const MAX_ENTRIES_PER_REQUEST = 1000;
/** Bad lines listed in an import answer; the rest are counted. */
const MAX_REPORTED_LINE_ERRORS = 1000;
const LIST_TYPES = ['text/plain', 'application/x-ndjson', 'application/jsonl'];

const Kind = Type.Union([
  Type.Literal('url'),
  Type.Literal('prefix'),
  Type.Literal('host'),
  Type.Literal('domain'),
]);
const Policy = Type.Union([Type.Literal('automatic'), Type.Literal('review')]);
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const EntryId = Type.String({ pattern: '^[0-9]{1,18}$' });

const UrlListBody = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    source: Type.String(),
    licence: Nullable(Type.String()),
    version: Nullable(Type.String()),
    enabled: Type.Boolean(),
    negative: Type.Boolean(),
    actionPolicy: Policy,
    entries: Type.Integer({ description: 'live entries' }),
  },
  { additionalProperties: false },
);

const EntryBody = Type.Object(
  {
    id: EntryId,
    kind: Kind,
    pattern: Type.String({ description: 'as given' }),
    canonicalKey: Type.String({ description: 'the normalised key fetchers and feeds match on' }),
    dedicatedToAbuse: Type.Boolean(),
    block: Type.Boolean(),
    category: Nullable(Type.String()),
    provenance: Nullable(Type.String()),
    note: Nullable(Type.String()),
    addedAt: Type.String(),
    removedAt: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const EntryErrorBody = Type.Object(
  {
    index: Type.Integer({
      description: 'position in the request (from 0), or line number in a file (from 1)',
    }),
    code: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false },
);

const NewEntry = Type.Object(
  {
    kind: Kind,
    pattern: Type.String({ minLength: 1, maxLength: 8192 }),
    dedicatedToAbuse: Type.Optional(Type.Boolean()),
    block: Type.Optional(Type.Boolean()),
    category: Type.Optional(Text(MAX_CATEGORY_CHARS)),
    note: Type.Optional(Text(MAX_NOTE_CHARS)),
  },
  { additionalProperties: false },
);

const ListParams = Type.Object({ bankId: Uuid }, { additionalProperties: false });

const curatorOf = (p: Principal): Curator => ({
  actor: { kind: 'user', id: p.keyId },
  role: p.role,
  tenantId: p.tenantId,
});

/** Curation errors as API answers: an unknown list or bank is 404; a refused list file is 400 with its reason. */
export function asApiError(err: unknown): unknown {
  if (!(err instanceof CurationError)) return err;
  switch (err.code) {
    case CurationErrorCode.UnknownUrlList:
      return notFound('URL list');
    case CurationErrorCode.UnknownBank:
      return notFound('bank');
    case CurationErrorCode.NotUrlList:
      return conflict(err.message);
    case CurationErrorCode.StrictRejected:
    case CurationErrorCode.EmptyList:
      return new ApiError(400, 'MOD_ERR_API_LIST_REJECTED', err.message);
    default:
      return err;
  }
}

/** Runs a curation call, answering its typed errors as API errors. */
export async function answering<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asApiError(err);
  }
}

/**
 * Curators manage URL-list banks (exact URL, prefix, host, registrable-domain entries): create, change
 * settings, list, add, soft-remove and import entries. Patterns are normalised with the project's URL
 * normaliser; an entry it refuses gets its own error with a stable code. Every change is announced to fetchers
 * (compacted `mod.url-list-changes.v1`, through the outbox) and reaches ISP feeds; every change is audited.
 */
export async function urlListRoutes(app: TypedApp, deps: UrlListRouteDeps): Promise<void> {
  const topic = deps.topics.urlListChanges;
  const curators = { roles: ['curator', 'admin'] as ('curator' | 'admin')[], tenant: 'none' as const };

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
      config: curators,
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' }),
            source: Text(200),
            licence: Type.Optional(Text(200)),
            version: Type.Optional(Text(100)),
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
            name: b.name,
            source: b.source,
            licence: b.licence ?? null,
            version: b.version ?? null,
            negative: b.negative ?? false,
            actionPolicy: b.actionPolicy,
          },
          topic,
          curatorOf(principalOf(req)),
        ),
      );
      if (!created) throw conflict(`a URL list named ${b.name} exists already`);
      return reply.code(201).send(bank);
    },
  );

  app.patch(
    '/:bankId',
    {
      config: curators,
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
        curatorOf(principalOf(req)),
      );
      if (bank === null) throw notFound('URL list');
      return bank;
    },
  );

  app.get(
    '/:bankId/entries',
    {
      config: curators,
      schema: {
        description:
          'Entries in id order, a page at a time: pass `nextCursor` as `cursor` for the next page.',
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
      config: curators,
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
          provenance: `api by key ${p.keyId}`,
          by: curatorOf(p),
        }),
      );
    },
  );

  app.post(
    '/:bankId/entries/remove',
    {
      config: curators,
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

  await app.register((scoped: TypedApp, _opts, done) => {
    // The list is streamed into the importer (bounded memory, any size up to maxListBytes), never buffered.
    for (const type of LIST_TYPES)
      if (scoped.hasContentTypeParser(type)) scoped.removeContentTypeParser(type);
    scoped.addContentTypeParser(LIST_TYPES, { bodyLimit: deps.maxListBytes }, (_req, payload, next) =>
      next(null, payload),
    );
    scoped.post(
      '/:bankId/import',
      {
        config: curators,
        bodyLimit: deps.maxListBytes,
        schema: {
          description:
            'Imports a list file: `txt` (text/plain, one pattern per line, `#` comments; kind and flags from the ' +
            'query) or `jsonl` (application/x-ndjson, one entry object per line). `replace` (default) makes the ' +
            'file the whole list; `append` only adds (and replaces entries whose flags changed). Bad lines are ' +
            'reported with their number and code; with `strict` any bad line rejects the file.',
          consumes: LIST_TYPES,
          params: ListParams,
          querystring: Type.Object(
            {
              format: Type.Union([Type.Literal('txt'), Type.Literal('jsonl')]),
              mode: Type.Optional(Type.Union([Type.Literal('replace'), Type.Literal('append')])),
              strict: Type.Optional(Type.Boolean()),
              kind: Type.Optional(Kind),
              dedicatedToAbuse: Type.Optional(Type.Boolean()),
              block: Type.Optional(Type.Boolean()),
              category: Type.Optional(Text(MAX_CATEGORY_CHARS)),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object(
              {
                bankId: Uuid,
                lines: Type.Integer(),
                badLines: Type.Integer(),
                sha256: Type.String(),
                added: Type.Integer(),
                updated: Type.Integer(),
                removed: Type.Integer(),
                unchanged: Type.Integer(),
                duplicates: Type.Integer(),
                resync: Type.Boolean(),
                lineErrors: Type.Array(EntryErrorBody),
                lineErrorsTruncated: Type.Boolean(),
              },
              { additionalProperties: false },
            ),
            ...ErrorResponses,
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const q = req.query;
        const body: unknown = req.body;
        if (!(body instanceof Readable))
          throw new ApiError(
            415,
            'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE',
            `a list is sent as ${LIST_TYPES.join(' or ')}`,
          );
        const errors: EntryError[] = [];
        const report = await answering(() =>
          importUrlList(deps.db, {
            bankId: req.params.bankId,
            format: q.format,
            input: body,
            defaults: {
              ...(q.kind === undefined ? {} : { kind: q.kind }),
              ...(q.dedicatedToAbuse === undefined ? {} : { dedicatedToAbuse: q.dedicatedToAbuse }),
              ...(q.block === undefined ? {} : { block: q.block }),
              ...(q.category === undefined ? {} : { category: q.category }),
            },
            mode: q.mode ?? 'replace',
            strict: q.strict ?? false,
            changesTopic: topic,
            provenance: `api import by key ${p.keyId}`,
            by: curatorOf(p),
            onLineError: (e) => {
              if (errors.length < MAX_REPORTED_LINE_ERRORS) errors.push(e);
            },
          }),
        );
        return { ...report, lineErrors: errors, lineErrorsTruncated: report.badLines > errors.length };
      },
    );
    done();
  });
}
