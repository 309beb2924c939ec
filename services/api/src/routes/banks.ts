import type { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import { createBank, importBankList, updateBankSettings, type LineError } from '@mod/curation';
import { exportBankEntries, getBank, listBanks, type Bank } from '@mod/db/banks';
import { callerName, principalOf } from '../auth.js';
import { conflict, notFound } from '../errors.js';
import {
  auditCallerChange,
  ErrorResponses,
  NewBankFields,
  newBankFieldsOf,
  Text,
  Uuid,
  type RouteDeps,
  type TypedApp,
} from './common.js';
import { answering } from './curation-errors.js';
import { bankSearchRoutes } from './bank-search.js';

export interface BankRouteDeps extends RouteDeps {
  /** Largest list accepted by the import route, bytes. */
  maxListBytes: number;
}

const Signal = Type.Union(['pdq', 'blockhash', 'md5', 'sha1', 'sha256'].map((s) => Type.Literal(s)));
const Format = Type.Union([Type.Literal('csv'), Type.Literal('tsv'), Type.Literal('jsonl')]);
/**
 * A bank's match radius (Hamming distance over 256 bits): at most a quarter of the bits. Unrelated images' hashes
 * differ in about half, so a wider radius (up to 256, which the matcher takes) matches unrelated images, every
 * blank one at once, and makes each scan a pass over every entry of every bank (scanners search with the widest
 * radius of any bank). Meta's PDQ recommendation is 31.
 */
const Radius = Type.Integer({ minimum: 0, maximum: 64 });
const BankBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    source: Type.String(),
    licence: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.String(), Type.Null()]),
    signalTypes: Type.Array(Type.String()),
    categoryScheme: Type.Union([Type.String(), Type.Null()]),
    enabled: Type.Boolean(),
    negative: Type.Boolean(),
    pdqThreshold: Type.Integer(),
    blockhashThreshold: Type.Integer(),
    actionPolicy: Type.String(),
  },
  { additionalProperties: false },
);
/**
 * A URL list is a bank of signal type `url` (`/v1/url-lists`), whose changes go to fetchers on their own topic:
 * the hash-bank routes neither list nor touch one (a settings change here would reach scanners only, and the
 * fetchers blocking with it would never hear of it).
 */
const isUrlList = (bank: Bank): boolean => (bank.signalTypes as readonly string[]).includes('url');

/** The hash bank of id `id`, or 404 (none, or a URL list). */
async function hashBankOr404(deps: RouteDeps, id: string): Promise<Bank> {
  const bank = await getBank(deps.db, id);
  if (bank === null || isUrlList(bank)) throw notFound('bank');
  return bank;
}

/** Bad lines returned in the import response; the rest are counted. */
const MAX_REPORTED_LINE_ERRORS = 1000;

/**
 * Keeps the `max` bad lines with the lowest numbers, in line order: the importer reports repeated lines after
 * the others (the database finds them once the whole list is staged), so they may come after higher lines.
 */
function keepFirstLines(kept: LineError[], e: LineError, max: number): void {
  const last = kept.at(-1);
  if (kept.length === max && last !== undefined && e.lineNumber >= last.lineNumber) return;
  let at = kept.length;
  while (at > 0 && (kept[at - 1] as LineError).lineNumber > e.lineNumber) at--;
  kept.splice(at, 0, e);
  if (kept.length > max) kept.pop();
}
const Count = Type.Integer({ minimum: 0 });
/** What an import did: the curation report (`ImportReport`) plus the first bad lines. */
const ImportResponse = Type.Object(
  {
    bank: Type.String({ description: 'bank name' }),
    lines: Count,
    badLines: Count,
    added: Count,
    removed: Count,
    unchanged: Count,
    resync: Type.Boolean({ description: 'scanners reload the bank instead of receiving each change' }),
    dryRun: Type.Boolean({ description: 'a preview: the counts of the import, nothing changed' }),
    lineErrors: Type.Array(
      Type.Object(
        { lineNumber: Type.Integer({ minimum: 1 }), code: Type.String(), message: Type.String() },
        { additionalProperties: false },
      ),
      { maxItems: MAX_REPORTED_LINE_ERRORS },
    ),
    lineErrorsTruncated: Type.Boolean({ description: 'more bad lines than `lineErrors` lists' }),
  },
  { additionalProperties: false },
);
/** Media type of each export format. */
const EXPORT_TYPES = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  jsonl: 'application/x-ndjson',
} as const;
/**
 * The export's `content-disposition`. Names made through the API are plain ASCII; a name made otherwise (`modctl
 * bank create`) may hold any character: quoted as it is it could end the parameter (`"`, `;`) or, beyond Latin-1,
 * make Node refuse the header mid-answer. Such a name is sent as ASCII (`_` for the rest) and exactly in
 * `filename*` (RFC 6266, UTF-8 percent-encoded).
 */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  if (ascii === fileName) return `attachment; filename="${fileName}"`;
  const exact = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
/** The export is streamed (never buffered, never serialised by fastify): a text body in the asked format. */
const ExportResponse = {
  description: "The bank's live entries, one per line, in the format asked for (an attachment).",
  content: Object.fromEntries(Object.values(EXPORT_TYPES).map((type) => [type, { schema: Type.String() }])),
};
const LIST_TYPES = [
  'text/csv',
  'text/tab-separated-values',
  'application/x-ndjson',
  'application/jsonl',
  'text/plain',
];

/**
 * Streams list bodies (the media types of bank lists) into the route as they arrive, never buffered whole. The
 * parser is the whole app's, registered before the route groups (as it has always been): every route accepts
 * these media types and gets a stream, which only the import routes read.
 */
export function streamListBodies(app: TypedApp, maxListBytes: number): void {
  app.addContentTypeParser(LIST_TYPES, { bodyLimit: maxListBytes }, (_req, payload, done) =>
    done(null, payload),
  );
}

/**
 * Curators manage hash banks: create, change settings, import and export lists. Every change is audited in the
 * transaction that makes it: the change and its audit record commit together, or neither does.
 */
export async function bankRoutes(app: TypedApp, deps: BankRouteDeps): Promise<void> {
  await bankSearchRoutes(app, deps);
  app.get(
    '',
    {
      // Reviewers too: a dismissal may propose its content for a negative bank, a confirmation for another.
      config: { roles: ['curator', 'admin', 'authority', 'reviewer'] },
      schema: { response: { 200: Type.Object({ banks: Type.Array(BankBody) }) } },
    },
    async () => ({ banks: (await listBanks(deps.db)).filter((b) => !isUrlList(b)) }),
  );

  app.post(
    '',
    {
      config: { roles: ['curator', 'admin'] },
      schema: {
        body: Type.Object(
          {
            ...NewBankFields,
            signalTypes: Type.Array(Signal, { minItems: 1, maxItems: 5, uniqueItems: true }),
            categoryScheme: Type.Optional(Text(100)),
            negative: Type.Optional(Type.Boolean()),
            pdqThreshold: Type.Optional(Radius),
            blockhashThreshold: Type.Optional(Radius),
            actionPolicy: Type.Union([Type.Literal('automatic'), Type.Literal('review')]),
          },
          { additionalProperties: false },
        ),
        response: { 201: BankBody, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      const { bank, created } = await createBank(
        deps.db,
        {
          ...newBankFieldsOf(b),
          signalTypes: b.signalTypes as never,
          categoryScheme: b.categoryScheme ?? null,
          negative: b.negative ?? false,
          ...(b.pdqThreshold === undefined ? {} : { pdqThreshold: b.pdqThreshold }),
          ...(b.blockhashThreshold === undefined ? {} : { blockhashThreshold: b.blockhashThreshold }),
          actionPolicy: b.actionPolicy,
        },
        deps.topics.bankChanges,
        {
          inTransaction: async (c, made) => {
            await auditCallerChange(c, p, {
              action: 'bank.created',
              subject: { type: 'bank', id: made.id },
              reason: null,
              evidence: {
                name: made.name,
                actionPolicy: made.actionPolicy,
                negative: made.negative,
              },
            });
          },
        },
      );
      if (!created) throw conflict(`a bank named ${b.name} exists already`);
      return reply.code(201).send(bank);
    },
  );

  app.patch(
    '/:id',
    {
      config: { roles: ['curator', 'admin'] },
      schema: {
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            negative: Type.Optional(Type.Boolean()),
            pdqThreshold: Type.Optional(Radius),
            blockhashThreshold: Type.Optional(Radius),
            actionPolicy: Type.Optional(Type.Union([Type.Literal('automatic'), Type.Literal('review')])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: BankBody },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await hashBankOr404(deps, req.params.id);
      const bank = await updateBankSettings(deps.db, req.params.id, req.body, deps.topics.bankChanges, {
        inTransaction: async (c, changed) => {
          await auditCallerChange(c, p, {
            action: 'bank.settings-changed',
            subject: { type: 'bank', id: changed.id },
            evidence: { ...req.body },
          });
        },
      });
      if (bank === null) throw notFound('bank');
      return bank;
    },
  );

  app.post(
    '/:id/import',
    {
      config: { roles: ['curator', 'admin'] },
      bodyLimit: deps.maxListBytes,
      schema: {
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object(
          {
            format: Format,
            mode: Type.Optional(Type.Union([Type.Literal('replace'), Type.Literal('append')])),
            strict: Type.Optional(Type.Boolean()),
            force: Type.Optional(
              Type.Boolean({
                description:
                  'replace even when more lines are bad than good (refused otherwise, 400 MOD_ERR_API_LIST_REJECTED: ' +
                  'a mangled or misnamed file would shrink the bank to the few lines that still read)',
              }),
            ),
            dryRun: Type.Optional(
              Type.Boolean({
                description:
                  'preview: the list is read, checked and counted as for the import (added, unchanged, removed, ' +
                  'bad lines), then rolled back; nothing changes and nothing is audited',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ImportResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      // Before reading the body: an unknown bank answers 404 without streaming a list into nowhere.
      const bank = await hashBankOr404(deps, req.params.id);
      const errors: LineError[] = [];
      // A strict file with bad lines, a replace without a valid line or (unless forced) with more bad lines than
      // good: 400 MOD_ERR_API_LIST_REJECTED.
      const report = await answering(() =>
        importBankList(deps.db, {
          bankId: bank.id,
          format: req.query.format,
          mode: req.query.mode ?? 'replace',
          strict: req.query.strict ?? false,
          force: req.query.force ?? false,
          input: req.body as Readable,
          changesTopic: deps.topics.bankChanges,
          provenance: `api import by ${callerName(p)}`,
          dryRun: req.query.dryRun ?? false,
          onLineError: (e) => {
            keepFirstLines(errors, e, MAX_REPORTED_LINE_ERRORS);
          },
          inTransaction: async (c, r) => {
            await auditCallerChange(c, p, {
              action: 'bank.imported',
              subject: { type: 'bank', id: bank.id },
              evidence: {
                added: r.added,
                removed: r.removed,
                unchanged: r.unchanged,
                badLines: r.badLines,
              },
            });
          },
        }),
      );
      return {
        ...report,
        dryRun: req.query.dryRun ?? false,
        lineErrors: errors,
        lineErrorsTruncated: report.badLines > errors.length,
      };
    },
  );

  app.get(
    '/:id/export',
    {
      config: { roles: ['curator', 'admin'] },
      schema: {
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ format: Format }, { additionalProperties: false }),
        response: { 200: ExportResponse, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const bank = await hashBankOr404(deps, req.params.id);
      // A bank's whole list leaves the system (lists are licensed, and name abuse material): on record before a
      // line is sent, so an export the log refuses sends nothing.
      await auditCallerChange(deps.db, principalOf(req), {
        action: 'bank.exported',
        subject: { type: 'bank', id: bank.id },
        evidence: { format: req.query.format },
      });
      const type = EXPORT_TYPES[req.query.format];
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': type,
        'content-disposition': attachment(`${bank.name}.${req.query.format}`),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      try {
        await exportBankEntries(deps.db, bank.id, req.query.format, reply.raw);
      } catch (err) {
        // The status and part of the list are sent: only a closed connection tells the client the list is cut
        // short (left open, its download waited for ever on a response no longer written).
        reply.raw.destroy();
        throw err;
      }
      reply.raw.end();
    },
  );
}
