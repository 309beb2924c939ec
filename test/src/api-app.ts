import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '@mod/api';
import type { Producer } from '@mod/kafka';
import { createRegistry } from '@mod/telemetry';
import { logger, type World } from './world.js';

/**
 * The API app on this world's schema and topics, built in this process (tests `inject` requests, nothing
 * listens), with no readiness checks and rate limits no test reaches; `deps` adds or replaces dependencies.
 */
export function buildWorldApp(
  world: World,
  producer: Producer,
  deps: Partial<AppDeps> = {},
): Promise<FastifyInstance> {
  return buildApp({
    db: world.db,
    producer,
    topicPrefix: world.prefix,
    logger,
    registry: createRegistry('api'),
    maxUploadBytes: 1 << 20,
    rateLimit: { ratePerSecond: 1e6, burst: 1e6 },
    authFailureLimit: { ratePerSecond: 1e6, burst: 1e6 },
    ...deps,
  });
}

/** Has `app` listen on a free port of 127.0.0.1 (for real HTTP: a browser, a scraper); answers its origin. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}
