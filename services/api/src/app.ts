import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isModError } from '@mod/contracts';
import type { Pool } from '@mod/db';
import type { Producer } from '@mod/kafka';
import { registerOpsRoutes, type Logger, type ReadinessCheck, type Registry } from '@mod/telemetry';
import { registerAuth } from './auth.js';
import { ApiError } from './errors.js';
import { bankRoutes } from './routes/banks.js';
import { mediaRoutes } from './routes/media.js';
import { orderRoutes } from './routes/orders.js';
import { submissionRoutes } from './routes/submissions.js';

export interface AppDeps {
  /** Topic every scanner follows for bank changes. */
  bankChangesTopic: string;
  /** Largest bank list the import route accepts, bytes. Default 2 GiB. */
  maxListBytes?: number;
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

  const routeDeps = {
    db: deps.db,
    producer: deps.producer,
    mediaTopic: deps.mediaTopic,
    maxUploadBytes: deps.maxUploadBytes,
    now,
  };
  mediaRoutes(app, routeDeps);
  submissionRoutes(app, routeDeps);
  orderRoutes(app, routeDeps);
  bankRoutes(app, {
    ...routeDeps,
    bankChangesTopic: deps.bankChangesTopic,
    maxListBytes: deps.maxListBytes ?? 2 ** 31,
  });

  return base;
}
