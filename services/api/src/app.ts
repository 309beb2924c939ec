import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Codecs, isModError, type MediaSubmitted } from '@mod/contracts';
import {
  getOrder,
  getSubmission,
  insertSubmission,
  listOrders,
  type OrderScope,
  type Pool,
  type Principal,
} from '@mod/db';
import type { Producer } from '@mod/kafka';
import { registerOpsRoutes, type Logger, type ReadinessCheck, type Registry } from '@mod/telemetry';
import { principalOf, registerAuth } from './auth.js';
import { ApiError, badRequest, notFound, unavailable } from './errors.js';

export interface AppDeps {
  db: Pool;
  producer: Producer;
  mediaTopic: string;
  logger: Logger;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  /** Largest upload accepted, bytes. */
  maxUploadBytes: number;
  now?: () => Date;
}

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const MAX_PAGE = 100;

/** Roles that see every order; the others see only orders addressed to their own tenant. */
function orderScope(p: Principal): OrderScope {
  return p.role === 'authority' || p.role === 'admin' || p.role === 'reviewer'
    ? { all: true }
    : { all: false, targetTenantId: p.tenantId };
}

/** Builds the HTTP app without listening (tests use `inject`; server.ts listens). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const base = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError)
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    const e = err as { validation?: unknown; statusCode?: number; code?: string; message: string };
    if (e.validation !== undefined) {
      return reply.code(400).send({ error: { code: 'MOD_ERR_API_VALIDATION', message: e.message } });
    }
    if (e.statusCode === 413 || e.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply
        .code(413)
        .send({ error: { code: 'MOD_ERR_API_TOO_LARGE', message: 'request body too large' } });
    }
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return reply
        .code(e.statusCode)
        .send({ error: { code: 'MOD_ERR_API_BAD_REQUEST', message: e.message } });
    }
    req.log.error({ err }, 'request failed');
    const retriable = isModError(err) && err.retriable;
    return reply.code(retriable ? 503 : 500).send({
      error: {
        code: retriable ? 'MOD_ERR_API_UNAVAILABLE' : 'MOD_ERR_API_INTERNAL',
        message: 'internal error',
      },
    });
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });

  registerOpsRoutes(base, { registry: deps.registry, checks: deps.checks });
  registerAuth(base, deps.db, now);
  await app.register(multipart, {
    limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 5, fieldSize: 1000 },
  });

  app.post(
    '/v1/media',
    {
      config: { roles: ['platform', 'admin'] },
      schema: {
        response: {
          202: Type.Object({
            submissionId: Uuid,
            sha256: Type.String(),
            bytes: Type.Integer(),
            status: Type.Literal('received'),
            links: Type.Object({ submission: Type.String(), orders: Type.String() }),
          }),
          '4xx': ErrorBody,
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
            throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', `unknown file field ${part.fieldname}`);
          media = await part.toBuffer();
        } else {
          if (!['externalRef', 'reportedCategory'].includes(part.fieldname)) {
            throw badRequest('MOD_ERR_API_UNKNOWN_FIELD', `unknown field ${part.fieldname}`);
          }
          fields[part.fieldname] = String(part.value);
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

  app.get(
    '/v1/submissions/:id',
    {
      config: { roles: ['platform', 'authority', 'reviewer', 'admin'] },
      schema: { params: Type.Object({ id: Uuid }) },
    },
    async (req) => {
      const p = principalOf(req);
      const s = await getSubmission(deps.db, req.params.id);
      const mayRead = s !== null && (orderScope(p).all || s.tenantId === p.tenantId);
      if (!mayRead) throw notFound('submission');
      return s;
    },
  );

  app.get(
    '/v1/orders/:id',
    {
      config: { roles: ['isp', 'platform', 'authority', 'reviewer', 'admin'] },
      schema: { params: Type.Object({ id: Uuid }) },
    },
    async (req) => {
      const order = await getOrder(deps.db, req.params.id, orderScope(principalOf(req)));
      if (order === null) throw notFound('order');
      return order;
    },
  );

  app.get(
    '/v1/orders',
    {
      config: { roles: ['isp', 'platform', 'authority', 'reviewer', 'admin'] },
      schema: {
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Union([Type.Literal('blocking'), Type.Literal('takedown')])),
            status: Type.Optional(Type.String({ pattern: '^[a-z-]{1,30}$' })),
            submissionId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const orders = await listOrders(deps.db, {
        scope: orderScope(principalOf(req)),
        limit,
        ...(q.kind === undefined ? {} : { kind: q.kind }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.submissionId === undefined ? {} : { submissionId: q.submissionId }),
        ...(after === undefined ? {} : { after }),
      });
      const last = orders.at(-1);
      return {
        orders,
        nextCursor:
          orders.length === limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
      };
    },
  );

  return base;
}

function encodeCursor(c: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(s: string): { createdAt: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as {
      createdAt?: unknown;
      id?: unknown;
    };
    if (
      typeof c.createdAt === 'string' &&
      !Number.isNaN(Date.parse(c.createdAt)) &&
      typeof c.id === 'string' &&
      /^[0-9a-f-]{36}$/.test(c.id)
    ) {
      return { createdAt: c.createdAt, id: c.id };
    }
  } catch {
    // fall through to the typed error
  }
  throw badRequest('MOD_ERR_API_BAD_CURSOR', 'cursor is not one this API issued');
}
