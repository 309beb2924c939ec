import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Codecs, type MediaEventMeta } from '@mod/contracts';
import { UNSAFE_TEXT_CHARACTERS } from '@mod/contracts/text-rules';
import type { Principal } from '@mod/db/access';
import { countPendingMedia, receiveMedia } from '@mod/db/submissions';
import { Gauge, traceparentOf, type Registry } from '@mod/telemetry';
import { principalOf } from '../auth.js';
import { ApiError, badRequest, tooLarge, unavailable } from '../errors.js';
import { ErrorResponses, idempotencyKeyOf, Uuid, type RouteDeps, type TypedApp } from './common.js';

/** Text fields a multipart upload may carry, and their limits (multipart bodies bypass JSON schemas). */
const MEDIA_FIELDS: Readonly<Record<string, RegExp>> = {
  externalRef: new RegExp(`^[^${UNSAFE_TEXT_CHARACTERS}]{1,200}$`, 'u'),
  reportedCategory: /^[A-Za-z0-9._-]{1,50}$/,
};
const CONTENT_TYPE = /^[a-z0-9][a-z0-9.+-]{0,49}\/[a-z0-9][a-z0-9.+-]{0,49}$/;

/**
 * Upper bound of the `mod-meta` header the API writes (ids, tenant, an `externalRef` of 200 characters of up to 4
 * UTF-8 bytes each, a category, a content type): the largest upload is what the broker's message size leaves
 * after it (`maxUploadBytesFor`).
 */
export const API_MEDIA_META_MAX_BYTES = 2048;

/** Media messages waiting for the relay beyond which uploads are refused with 503 (the broker is away). */
export const DEFAULT_MAX_PENDING_MEDIA = 500;

/**
 * Memory this instance gives uploads being received: each is held whole until it commits, so at most
 * `UPLOAD_MEMORY_BYTES / maxUploadBytes` arrive at once (42 at the default 12 MiB); one more answers 503 before its
 * body is read. Without it, the requests a rate limit lets through in the request timeout could hold gigabytes.
 */
export const UPLOAD_MEMORY_BYTES = 512 * 1024 * 1024;

/**
 * What reading an upload's parts threw, as answered: the multipart parser's own errors (plain errors without a
 * code: no boundary, a body cut off before its closing boundary, a malformed part header) are the client's
 * malformed body, 400 MOD_ERR_API_NOT_MULTIPART, not a 500; refusals (ApiError) and fastify's coded errors
 * (sizes, limits, prototype names) keep their own answers.
 */
function malformedAsRefusal(err: unknown): unknown {
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  if (err instanceof ApiError || typeof e.code === 'string' || typeof e.statusCode === 'number') return err;
  return badRequest('MOD_ERR_API_NOT_MULTIPART', 'the multipart/form-data body is malformed');
}

/** Platform operators submit media for scanning. */
export async function mediaRoutes(app: TypedApp, deps: RouteDeps & { registry: Registry }): Promise<void> {
  const { now } = deps;
  const maxPending = deps.maxPendingMedia ?? DEFAULT_MAX_PENDING_MEDIA;
  const maxReceiving =
    deps.maxUploadsReceiving ?? Math.max(1, Math.floor(UPLOAD_MEMORY_BYTES / deps.maxUploadBytes));
  let receiving = 0;
  new Gauge({
    name: 'mod_api_uploads_receiving',
    help: 'Media uploads this instance is receiving now (held in memory until they commit)',
    registers: [deps.registry],
    collect() {
      this.set(receiving);
    },
  });
  const Received = Type.Object({
    submissionId: Uuid,
    sha256: Type.String(),
    bytes: Type.Integer(),
    status: Type.Union([Type.Literal('received'), Type.Literal('scanned'), Type.Literal('failed')]),
    links: Type.Object({ submission: Type.String(), orders: Type.String() }),
  });
  app.post(
    '',
    {
      // Media always belongs to the caller's own tenant.
      config: { roles: ['platform', 'admin'], tenant: 'own' },
      schema: {
        consumes: ['multipart/form-data'],
        description: [
          'multipart/form-data: a `media` file (required, at most the size this deployment derives from its',
          "broker's message size: see the 413 message), optional `externalRef` (≤ 200 chars) and",
          '`reportedCategory` ([A-Za-z0-9._-]{1,50}). An `Idempotency-Key` header (1-200 of A-Za-z0-9._:-)',
          'makes a retry safe: the same key with the same content answers the first submission again',
          '(`idempotent-replayed: true`); with other content or other fields, 409.',
        ].join(' '),
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        response: { 202: Received, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
      if (!req.isMultipart())
        throw badRequest('MOD_ERR_API_NOT_MULTIPART', 'send multipart/form-data with a "media" file');
      if (receiving >= maxReceiving) {
        // The body is not read: the connection closes after the answer, so the client stops sending it.
        void reply.header('connection', 'close');
        throw unavailable('this instance is receiving as many uploads as it holds at once; try again', 5);
      }
      receiving += 1;
      try {
        return await receive(req, reply, p, idempotencyKey);
      } finally {
        receiving -= 1;
      }
    },
  );

  async function receive(
    req: FastifyRequest,
    reply: FastifyReply,
    p: Principal,
    idempotencyKey: string | null,
  ): Promise<FastifyReply> {
    let media: Buffer | undefined;
    let contentType: string | undefined;
    const fields: Record<string, string> = {};
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'media')
            throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', 'unknown file field; send the file as "media"');
          media = await part.toBuffer();
          const mime = part.mimetype.toLowerCase();
          if (CONTENT_TYPE.test(mime)) contentType = mime;
        } else {
          const rule = Object.hasOwn(MEDIA_FIELDS, part.fieldname) ? MEDIA_FIELDS[part.fieldname] : undefined;
          if (rule === undefined || Object.hasOwn(fields, part.fieldname))
            throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', 'unknown or repeated form field');
          if (part.valueTruncated) throw tooLarge(`form field ${part.fieldname} is too long`);
          const value = String(part.value);
          if (!rule.test(value))
            throw badRequest('MOD_ERR_API_VALIDATION', `form field ${part.fieldname} has an invalid value`);
          fields[part.fieldname] = value;
        }
      }
    } catch (err) {
      throw malformedAsRefusal(err);
    }
    if (media === undefined || media.length === 0)
      throw badRequest('MOD_ERR_API_NO_MEDIA', 'a non-empty "media" file is required');
    if (media.length > deps.maxUploadBytes)
      throw tooLarge(`the media file is over this deployment's limit of ${deps.maxUploadBytes} bytes`);
    if ((await countPendingMedia(deps.db)) >= maxPending)
      throw unavailable('media intake is backed up (the broker is away); try again', 30);
    const submissionId = randomUUID();
    const sha256 = createHash('sha256').update(media).digest('hex');
    const meta: MediaEventMeta = {
      eventId: randomUUID(),
      submissionId,
      tenantId: p.tenantId,
      source: 'api',
      ...(fields['externalRef'] === undefined ? {} : { externalRef: fields['externalRef'] }),
      ...(fields['reportedCategory'] === undefined ? {} : { reportedCategory: fields['reportedCategory'] }),
      ...(contentType === undefined ? {} : { contentType }),
      submittedAt: now().toISOString(),
    };
    const metaBytes = Codecs.mediaMeta.encode(meta);
    if (metaBytes.length > API_MEDIA_META_MAX_BYTES)
      throw new ApiError(500, 'MOD_ERR_API_INTERNAL', 'media event header over its bound');
    // The upload's trace goes with its message (and its outbox row): the scan and the orders join it.
    const traceparent = traceparentOf();
    const result = await receiveMedia(deps.db, {
      submissionId,
      tenantId: p.tenantId,
      externalRef: fields['externalRef'] ?? null,
      reportedCategory: fields['reportedCategory'] ?? null,
      sha256,
      bytes: media.length,
      idempotencyKey,
      topic: deps.topics.mediaSubmitted,
      meta: metaBytes,
      media,
      traceparent,
    });
    if (result.kind === 'key-reused')
      throw new ApiError(
        409,
        'MOD_ERR_API_IDEMPOTENCY_CONFLICT',
        'this Idempotency-Key was used for other content or fields; use a new key for new media',
      );
    if (result.kind === 'received')
      deps.dispatchMedia?.({
        id: result.outboxId,
        topic: deps.topics.mediaSubmitted,
        key: submissionId,
        meta: metaBytes,
        media,
        traceparent,
      });
    else reply.header('idempotent-replayed', 'true');
    const id = result.submissionId;
    return reply.code(202).send({
      submissionId: id,
      sha256,
      bytes: media.length,
      status: result.kind === 'received' ? ('received' as const) : (result.status as 'received'),
      links: { submission: `/v1/submissions/${id}`, orders: `/v1/orders?submissionId=${id}` },
    });
  }
}
