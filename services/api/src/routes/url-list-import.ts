import { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import { importUrlList, MAX_CATEGORY_CHARS, type EntryError } from '@mod/curation';
import { callerName, principalOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { curatorOf, ErrorResponses, Text, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { answering } from './curation-errors.js';
import { CURATOR_ROUTE, EntryErrorBody, Kind, ListParams } from './url-list-schemas.js';

export interface UrlListImportDeps extends RouteDeps {
  /** Largest list the import route accepts, bytes. */
  maxListBytes: number;
}

/** Bad lines listed in an import answer; the rest are counted. */
const MAX_REPORTED_LINE_ERRORS = 1000;
const LIST_TYPES = ['text/plain', 'application/x-ndjson', 'application/jsonl'];

/**
 * Imports a URL-list file into a list, streamed (bounded memory, any size up to `maxListBytes`): txt or jsonl,
 * replacing the list or appending to it, bad lines reported by number.
 */
export async function urlListImportRoutes(app: TypedApp, deps: UrlListImportDeps): Promise<void> {
  const topic = deps.topics.urlListChanges;
  // The list is streamed into the importer (bounded memory, any size up to maxListBytes), never buffered.
  for (const type of LIST_TYPES) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  app.addContentTypeParser(LIST_TYPES, { bodyLimit: deps.maxListBytes }, (_req, payload, next) =>
    next(null, payload),
  );
  app.post(
    '/:bankId/import',
    {
      config: CURATOR_ROUTE,
      bodyLimit: deps.maxListBytes,
      schema: {
        description:
          'Imports a list file: `txt` (text/plain, one pattern per line, `#` comments; kind and flags from the ' +
          'query) or `jsonl` (application/x-ndjson, one entry object per line). `replace` (default) makes the ' +
          'file the whole list; `append` only adds (and replaces entries whose flags changed). Bad lines are ' +
          'reported with their number and code; with `strict` any bad line rejects the file. A `replace` with ' +
          'more bad lines than good ones is refused (400 MOD_ERR_API_LIST_REJECTED) unless `force`. With `dryRun` the ' +
          'file is read, checked and counted as for the import, then rolled back: a preview, nothing changed ' +
          'or audited.',
        consumes: LIST_TYPES,
        params: ListParams,
        querystring: Type.Object(
          {
            format: Type.Union([Type.Literal('txt'), Type.Literal('jsonl')]),
            mode: Type.Optional(Type.Union([Type.Literal('replace'), Type.Literal('append')])),
            strict: Type.Optional(Type.Boolean()),
            force: Type.Optional(Type.Boolean()),
            dryRun: Type.Optional(Type.Boolean()),
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
              dryRun: Type.Boolean(),
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
          force: q.force ?? false,
          dryRun: q.dryRun ?? false,
          changesTopic: topic,
          provenance: `api import by ${callerName(p)}`,
          by: curatorOf(p),
          onLineError: (e) => {
            if (errors.length < MAX_REPORTED_LINE_ERRORS) errors.push(e);
          },
        }),
      );
      return {
        ...report,
        dryRun: q.dryRun ?? false,
        lineErrors: errors,
        lineErrorsTruncated: report.badLines > errors.length,
      };
    },
  );
}
