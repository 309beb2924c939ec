import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  linkToOutside,
  trace,
  TRACEPARENT_HEADER,
  type Span,
  type Tracer,
} from '@mod/telemetry';

/** Routes not traced: probes and scrapes every few seconds would bury the traces people look for. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

/**
 * A server span per request, and the route's handler running inside it: what the handler logs carries the
 * trace id, and what it commits or publishes (an upload's media message) carries the trace on to the scanner.
 *
 * The API is the public edge: a caller's `traceparent` is linked, not adopted as parent, so a client cannot
 * splice its requests into other traces or choose the ids of ours. Must be registered before any route.
 */
export function registerTracing(app: FastifyInstance, tracer: Tracer): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  // The handler, not the hook chain, runs in the span's context: a body is read in the socket's callbacks,
  // which would lose a context set by an early hook.
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, req, reply) {
      const span = spans.get(req);
      if (span === undefined) return handler.call(this, req, reply);
      return context.with(trace.setSpan(ROOT_CONTEXT, span), () => handler.call(this, req, reply));
    };
  });
  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    if (route === undefined || UNTRACED.test(route)) return;
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route },
        ...linkToOutside(headerValue(req.headers[TRACEPARENT_HEADER]), 'caller'),
      },
      ROOT_CONTEXT,
    );
    spans.set(req, span);
  });
  const end = (req: FastifyRequest, statusCode: number | null) => {
    const span = spans.get(req);
    if (span === undefined) return;
    spans.delete(req);
    if (statusCode === null) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
    } else {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  app.addHook('onResponse', async (req, reply) => end(req, reply.statusCode));
  app.addHook('onRequestAbort', async (req) => end(req, null));
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
