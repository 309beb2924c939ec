import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Type } from '@fastify/type-provider-typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { deterministicUuid, UrlObserved, urlObservedCodec } from '@mod/contracts';
import { isRecordRefusal } from '@mod/kafka';
import { normalizeUrl, UrlErrorCode, writtenUrlProblem } from '@mod/urls';
import { principalOf } from '../auth.js';
import { ApiError, badRequest, tooLarge, unavailable } from '../errors.js';
import { languageOf } from '../people-errors.js';
import { discardRest } from './body-drain.js';
import { ErrorResponses, idempotencyKeyOf, type RouteDeps, type TypedApp } from './common.js';
import type { TrafficLineQuota } from './isp-traffic-quota.js';
import { createTrafficQueue, unqueuedMessage, type Outgoing } from './isp-traffic-queue.js';

/** Bounds of one traffic-sample upload. */
export const TRAFFIC_LIMITS = {
  /** Bytes on the wire (compressed when gzip). */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Bytes after decompression: a gzip bomb stops here. */
  maxDecodedBytes: 32 * 1024 * 1024,
  maxLines: 100_000,
  /** Per-line errors listed in the answer (all are counted). */
  maxErrorsReported: 100,
} as const;

const SAMPLE_TYPES = ['application/x-ndjson', 'application/jsonl'];

/**
 * Lines checked before the upload lets the process do other work: a whole upload's lines (JSON, schema, URL) take
 * about a second, during which no other request, nor the health probes, would be answered.
 */
const LINES_PER_TURN = 1_000;

/** One line of a traffic sample. */
const SampleLine = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 8192 }),
    /** The event's own rule (a day and a time that exist: `IsoTime`), or the event could not be encoded. */
    observedAt: Type.Optional(
      Type.String({ pattern: UrlObserved.properties.observedAt.pattern, maxLength: 40 }),
    ),
    contentType: Type.Optional(Type.String({ maxLength: 200, pattern: '^[\\x21-\\x7e][\\x20-\\x7e]*$' })),
  },
  { additionalProperties: false },
);
const checkLine = TypeCompiler.Compile(SampleLine);

/** Per-line error codes of a traffic-sample answer (plus the MOD_ERR_URL_* codes of @mod/urls). */
export const TrafficLineError = {
  Json: 'MOD_ERR_ISP_LINE_JSON',
  Schema: 'MOD_ERR_ISP_LINE_SCHEMA',
  TooManyLines: 'MOD_ERR_ISP_TOO_MANY_LINES',
} as const;

const LineErrorBody = Type.Object({ line: Type.Integer(), code: Type.String(), message: Type.String() });

/**
 * Reads the body within the wire and decoded limits. On a refusal (too large, not gzip) the rest of what the
 * client is sending is read and dropped before the error answers: closing a connection with unread bytes
 * resets it, and the client would lose the 413 with it.
 */
async function readBody(stream: Readable, gzip: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let wire = 0;
  let decoded = 0;
  // The loop below reads `source`; ending it early destroys `source`, never the request (and its socket).
  const source = gzip ? createGunzip() : new PassThrough();
  // Counted as the bytes arrive, not as decoded text leaves: gzip that decodes to nothing (empty members,
  // empty blocks) would otherwise stream past the wire limit without end.
  const onWire = (c: Buffer) => {
    wire += c.length;
    if (wire > TRAFFIC_LIMITS.maxBodyBytes)
      source.destroy(tooLarge(`body exceeds ${TRAFFIC_LIMITS.maxBodyBytes} bytes`));
  };
  // pipe() passes no errors on: a request cut short must still end the loop.
  const onAbort = () => source.destroy(new Error('request aborted'));
  stream.on('data', onWire);
  stream.once('error', onAbort);
  stream.once('aborted', onAbort);
  stream.pipe(source);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      decoded += chunk.length;
      if (decoded > TRAFFIC_LIMITS.maxDecodedBytes)
        throw tooLarge(`decompressed body exceeds ${TRAFFIC_LIMITS.maxDecodedBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    stream.unpipe(source);
    source.destroy();
    await discardRest(stream, { maxBytes: TRAFFIC_LIMITS.maxBodyBytes, maxMs: 10_000 });
    if (err instanceof ApiError) throw err;
    throw badRequest('MOD_ERR_API_BAD_REQUEST', 'body is not valid gzip');
  } finally {
    stream.off('data', onWire);
    stream.off('error', onAbort);
    stream.off('aborted', onAbort);
  }
}

/**
 * The event id of an upload's line: random, unless the upload carries an `Idempotency-Key`, when it is named by
 * the tenant, the key, the line's number and its URL, so that the same upload sent again with the same key names
 * each line as before and the work downstream, named by the event id, is done once for it.
 */
function lineEventId(tenantId: string, idempotencyKey: string | null, lineNo: number, href: string): string {
  if (idempotencyKey === null) return randomUUID();
  return deterministicUuid(`isp-traffic:${tenantId}:${idempotencyKey}:${lineNo}:${href}`);
}

/**
 * ISPs upload traffic samples: JSON lines `{url, observedAt?, contentType?}`, optionally gzip-compressed
 * (`content-encoding: gzip`). Each line is checked on its own; valid lines go to `mod.url-observed.v1` (key:
 * host) and invalid ones are reported with their line number. ISPs that run Kafka may publish there directly.
 * The valid lines are charged to the ISP's line quota (shared by every instance) before any is queued: an upload
 * over what is left is refused whole (429, `retry-after`), nothing queued. An upload the broker does not take is
 * refused (503) and the lines it did not queue are given back to the quota: our failure costs the ISP nothing. With
 * an Idempotency-Key, a retry of the same upload queues and charges only what no earlier attempt queued.
 */
/** `retry-after` of an upload the broker did not take, as an upload of media while it is away. */
const BROKER_AWAY_RETRY_S = 30;

export async function ispTrafficRoutes(
  app: TypedApp,
  deps: RouteDeps & { trafficLines: TrafficLineQuota },
): Promise<void> {
  const { now } = deps;
  const queue = createTrafficQueue(deps, deps.topics.urlObserved);
  // The body is read here, within limits (and decompressed), not by a shared parser.
  for (const type of SAMPLE_TYPES) if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  app.addContentTypeParser(SAMPLE_TYPES, (_req, payload, next) => next(null, payload));
  app.post(
    '/traffic-samples',
    {
      config: { roles: ['isp'], tenant: 'own' },
      bodyLimit: TRAFFIC_LIMITS.maxBodyBytes,
      schema: {
        consumes: SAMPLE_TYPES,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        description:
          'JSON lines (application/x-ndjson), each {url, observedAt?, contentType?}; content-encoding gzip accepted. ' +
          `At most ${TRAFFIC_LIMITS.maxBodyBytes} bytes on the wire, ${TRAFFIC_LIMITS.maxDecodedBytes} decoded, ${TRAFFIC_LIMITS.maxLines} lines. ` +
          "Valid lines are charged to the ISP's line quota (429 when over it); 503 when they cannot all be queued: it says how many " +
          'valid lines the broker took (those stay charged; the rest are given back to the quota) and the last line of an unbroken ' +
          'run of queued lines from the first: send again the lines after it. With an Idempotency-Key (1-200 of A-Za-z0-9._:-, per ' +
          'tenant, kept 24 h) each line is named by the key, its line number and URL, and the same upload sent again with the key ' +
          'queues and charges only the lines no earlier attempt queued (202 with idempotent-replayed: true when none was left); ' +
          'another upload under the same key is refused (409 MOD_ERR_API_IDEMPOTENCY_CONFLICT). Messages in Vietnamese, or English ' +
          'by Accept-Language.',
        response: {
          202: Type.Object({
            accepted: Type.Integer(),
            rejected: Type.Integer(),
            errors: Type.Array(LineErrorBody),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
      if (encoding !== 'identity' && encoding !== 'gzip')
        throw new ApiError(
          415,
          'MOD_ERR_API_UNSUPPORTED_MEDIA_TYPE',
          'content-encoding must be gzip or identity',
        );
      const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
      const text = (await readBody(req.body as Readable, encoding === 'gzip')).toString('utf8');
      const errors: { line: number; code: string; message: string }[] = [];
      let rejected = 0;
      const reject = (line: number, code: string, message: string) => {
        rejected += 1;
        if (errors.length < TRAFFIC_LIMITS.maxErrorsReported) errors.push({ line, code, message });
      };
      const events: Outgoing[] = [];
      /** The line number of each event. */
      const lineNos: number[] = [];
      const lines = text.split('\n');
      const at = now().toISOString();
      for (let i = 0; i < lines.length; i++) {
        if (i > 0 && i % LINES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
        const raw = lines[i]!.replace(/\r$/, '');
        if (raw.trim() === '') continue;
        const lineNo = i + 1;
        if (events.length + rejected >= TRAFFIC_LIMITS.maxLines) {
          reject(
            lineNo,
            TrafficLineError.TooManyLines,
            `at most ${TRAFFIC_LIMITS.maxLines} lines per upload`,
          );
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          reject(lineNo, TrafficLineError.Json, 'not a JSON object');
          continue;
        }
        if (!checkLine.Check(value)) {
          const first = checkLine.Errors(value).First();
          reject(lineNo, TrafficLineError.Schema, `${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
          continue;
        }
        const url = normalizeUrl(value.url);
        if (!url.ok) {
          reject(lineNo, url.error.code, url.error.message);
          continue;
        }
        // `https:///p/1` would be sampled as https://p/1, an address the ISP never saw.
        const written = writtenUrlProblem(value.url);
        if (written !== null) {
          reject(lineNo, UrlErrorCode.Invalid, written);
          continue;
        }
        const event: UrlObserved = {
          eventId: lineEventId(p.tenantId, idempotencyKey, lineNo, url.url.href),
          tenantId: p.tenantId,
          source: 'api',
          url: url.url.href,
          observedAt: value.observedAt ?? at,
          ...(value.contentType === undefined ? {} : { contentType: value.contentType }),
        };
        events.push({ key: url.url.host, value: urlObservedCodec.encode(event) });
        lineNos.push(lineNo);
      }
      const language = languageOf(req);
      const sent = await queue(
        { tenantId: p.tenantId, idempotencyKey, body: text, events },
        language,
        req.log,
      );
      // The broker away (a send past its deadline, `KAFKA_SEND_DEADLINE_MS`): the ISP is told when to send again;
      // lines the broker refused themselves (too long) are not worth sending again as they are.
      if (sent.failure !== undefined)
        throw unavailable(
          unqueuedMessage(sent.queued, lineNos, idempotencyKey !== null, language),
          isRecordRefusal(sent.failure) ? undefined : BROKER_AWAY_RETRY_S,
        );
      if (idempotencyKey !== null && sent.sent === 0) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ accepted: events.length, rejected, errors });
    },
  );
}
