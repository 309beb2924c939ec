import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@fastify/type-provider-typebox';
import { Codecs, type MediaSubmitted } from '@mod/contracts';
import { insertSubmission } from '@mod/db';
import { principalOf } from '../auth.js';
import { badRequest, tooLarge, unavailable } from '../errors.js';
import { ErrorResponses, Uuid, type RouteDeps, type TypedApp } from './common.js';

/** Text fields a multipart upload may carry, and their limits (multipart bodies bypass JSON schemas). */
const MEDIA_FIELDS: Readonly<Record<string, RegExp>> = {
  // eslint-disable-next-line no-control-regex
  externalRef: /^[^\u0000-\u001f\u007f]{1,200}$/u,
  reportedCategory: /^[A-Za-z0-9._-]{1,50}$/,
};

/** Platform operators submit media for scanning. */
export function mediaRoutes(app: TypedApp, deps: RouteDeps): void {
  const now = deps.now ?? (() => new Date());
  app.post(
    '/v1/media',
    {
      // Media always belongs to the caller's own tenant.
      config: { roles: ['platform', 'admin'], tenant: 'own' },
      schema: {
        consumes: ['multipart/form-data'],
        description:
          'multipart/form-data: a `media` file (required), optional `externalRef` (≤ 200 chars) and `reportedCategory` ([A-Za-z0-9._-]{1,50}).',
        response: {
          202: Type.Object({
            submissionId: Uuid,
            sha256: Type.String(),
            bytes: Type.Integer(),
            status: Type.Literal('received'),
            links: Type.Object({ submission: Type.String(), orders: Type.String() }),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart())
        throw badRequest('MOD_ERR_API_NOT_MULTIPART', 'send multipart/form-data with a "media" file');
      let media: Buffer | undefined;
      const fields: Record<string, string> = {};
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'media')
            throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', 'unknown file field; send the file as "media"');
          media = await part.toBuffer();
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
      if (media === undefined || media.length === 0)
        throw badRequest('MOD_ERR_API_NO_MEDIA', 'a non-empty "media" file is required');
      const submissionId = randomUUID();
      const sha256 = createHash('sha256').update(media).digest('hex');
      const event: MediaSubmitted = {
        eventId: randomUUID(),
        submissionId,
        tenantId: p.tenantId,
        source: 'api',
        ...(fields['externalRef'] === undefined ? {} : { externalRef: fields['externalRef'] }),
        ...(fields['reportedCategory'] === undefined ? {} : { reportedCategory: fields['reportedCategory'] }),
        mediaBase64: media.toString('base64'),
        submittedAt: now().toISOString(),
      };
      const value = Codecs.mediaSubmitted.encode(event);
      await insertSubmission(deps.db, {
        id: submissionId,
        tenantId: p.tenantId,
        source: 'api',
        externalRef: fields['externalRef'] ?? null,
        reportedCategory: fields['reportedCategory'] ?? null,
        sha256,
        bytes: media.length,
      });
      try {
        await deps.producer.send({ topic: deps.mediaTopic, messages: [{ key: submissionId, value }] });
      } catch (err) {
        req.log.error({ err }, 'could not publish media');
        throw unavailable('media could not be queued; try again');
      }
      return reply.code(202).send({
        submissionId,
        sha256,
        bytes: media.length,
        status: 'received' as const,
        links: {
          submission: `/v1/submissions/${submissionId}`,
          orders: `/v1/orders?submissionId=${submissionId}`,
        },
      });
    },
  );
}
