import type { FastifyInstance } from 'fastify';
import { bearer } from './testing.test-helper.js';

/** Who calls: a machine by its API key, or a person by the headers their browser sends (cookie, CSRF token). */
export type HttpCaller = string | { headers: Record<string, string> };

/** An answer as a client reads it: status, headers, the body's bytes, and its error code when it is an error. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  code: string | undefined;
  json<T = unknown>(): T;
}

/**
 * The app listening on 127.0.0.1 (a port of its own), for tests that call the API as its clients do: over HTTP
 * on loopback, with `fetch`. Answers a caller of it; the app closes with its test world.
 */
export async function listenOnLoopback(
  app: FastifyInstance,
): Promise<(who: HttpCaller, method: string, path: string, body?: unknown) => Promise<HttpAnswer>> {
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return async (who, method, path, body) => {
    const headers: Record<string, string> = typeof who === 'string' ? bearer(who) : { ...who.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = <T>() => JSON.parse(bytes.toString('utf8')) as T;
    const isJson = res.headers.get('content-type')?.startsWith('application/json') === true;
    const code = isJson ? json<{ error?: { code: string } }>().error?.code : undefined;
    return { status: res.status, headers: res.headers, bytes, code, json };
  };
}
