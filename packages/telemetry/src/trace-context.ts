import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The W3C trace context (`traceparent`) as it crosses process boundaries here: HTTP headers, Kafka record headers
 * and outbox rows (a message committed now and published later keeps the context it was committed in). Only
 * `@opentelemetry/api` and the propagator: packages that store or forward the context (`@mod/db`, `@mod/kafka`)
 * import this without the SDK.
 */
export const TRACEPARENT_HEADER = 'traceparent';

const propagator = new W3CTraceContextPropagator();

type Carrier = Record<string, string>;
const setter = { set: (c: Carrier, k: string, v: string) => void (c[k] = v) };
const getter = {
  get: (c: Carrier, k: string) => c[k],
  keys: (c: Carrier) => Object.keys(c),
};

/** The `traceparent` of a context's span (default: the active one), or null when there is no valid span. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: Carrier = {};
  propagator.inject(ctx, carrier, setter);
  return carrier[TRACEPARENT_HEADER] ?? null;
}

/**
 * A context whose parent is the span a `traceparent` names (a remote parent), or the root context when the value
 * is absent or malformed: a bad header never fails the message or request that carries it.
 */
export function contextOfTraceparent(value: string | Buffer | null | undefined): Context {
  if (value === null || value === undefined) return ROOT_CONTEXT;
  const text = typeof value === 'string' ? value : value.toString('latin1');
  if (text.length > 128) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { [TRACEPARENT_HEADER]: text }, getter);
}

/**
 * A span continuing the trace a stored `traceparent` names (an outbox row, a queued webhook delivery), for work
 * done long after that trace's request or step ended; and the `traceparent` naming the new span, for the
 * message or request the work sends (null when there is no trace to continue and the tracer made none).
 */
export function startStoredSpan(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  stored: string | null,
): { span: Span; traceparent: string | null } {
  const span = tracer.startSpan(name, options, contextOfTraceparent(stored));
  return { span, traceparent: traceparentOf(trace.setSpan(ROOT_CONTEXT, span)) };
}

/** The span context a `traceparent` names, or null (for links from an untrusted caller's context). */
export function spanContextOfTraceparent(value: string | Buffer | null | undefined): SpanContext | null {
  const sc = trace.getSpanContext(contextOfTraceparent(value));
  return sc !== undefined && isSpanContextValid(sc) ? sc : null;
}

/**
 * Span options that link to the trace context an outside party sent (a caller of the API, a partner on its own
 * topic) without adopting it as parent: its requests cannot be grafted onto our traces. Empty when it sent none.
 */
export function linkToOutside(
  value: string | Buffer | null | undefined,
  who: 'caller' | 'partner',
): { links?: Link[] } {
  const sc = spanContextOfTraceparent(value);
  return sc === null ? {} : { links: [{ context: sc, attributes: { 'mod.link': who } }] };
}

/** Runs `fn` outside any trace (background loops started from inside a traced request must not join it). */
export function withoutTrace<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}

/** `trace_id` and `span_id` of the active span, for log lines; empty outside a trace. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc !== undefined && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
