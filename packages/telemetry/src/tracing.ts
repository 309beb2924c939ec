import { context, diag, DiagLogLevel, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';

/** Characters a span keeps of an attribute's value. */
export const MAX_ATTRIBUTE_CHARS = 1024;

/** A service's tracer and the provider behind it (flushed and closed at shutdown). */
export interface Tracing {
  readonly tracer: Tracer;
  /** Exports the spans still buffered. */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** `service.name` of every span. */
  service: string;
  /** OTLP/HTTP collector base URL (spans are posted to `<url>/v1/traces`); absent or '': not exported. */
  otlpEndpoint?: string;
  /** Headers for the collector, `name=value,name2=value2` (the OTLP environment variable's format). */
  otlpHeaders?: string;
  /** Share of new traces sampled, 0..1 (parent-based: a sampled parent is always followed). Default 1. */
  sampleRatio?: number;
  /** A further exporter, handed each span as it ends (tests: the SDK's `InMemorySpanExporter`). */
  exporter?: SpanExporter;
  /** Where the exporter's own troubles (a collector away) are logged. */
  logger?: Logger;
}

/** The settings `tracingFromConfig` reads (`@mod/config` `tracingSpec`, part of every service's spec). */
export interface TracingEnvConfig {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT: string;
  readonly OTEL_EXPORTER_OTLP_HEADERS: string;
  readonly OTEL_SERVICE_NAME: string;
  readonly OTEL_TRACES_SAMPLER_ARG: number;
}

let contextManagerSet = false;
let diagSet = false;

/**
 * One process-wide context manager (AsyncLocalStorage): the active span follows async work, so log lines carry
 * its trace id and messages published inside a step carry its `traceparent`.
 */
function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
}

function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/**
 * A tracer of its own for one service (its own `service.name`), so several services in one process (tests, the
 * demo) still show as the services they are. Spans are always made, so the trace context propagates; they leave
 * the process only through an OTLP endpoint or the given exporter.
 */
export function createTracing(options: TracingOptions): Tracing {
  ensureContextManager();
  if (options.logger !== undefined && !diagSet) {
    diagSet = true;
    const log = options.logger.child({ component: 'otel' });
    diag.setLogger(
      {
        error: (message, ...args) => log.warn({ args }, message),
        warn: (message, ...args) => log.warn({ args }, message),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      DiagLogLevel.WARN,
    );
  }
  const spanProcessors: SpanProcessor[] = [];
  const endpoint = options.otlpEndpoint ?? '';
  if (endpoint !== '')
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({
          url: `${endpoint.replace(/\/+$/, '')}/v1/traces`,
          headers: parseHeaders(options.otlpHeaders),
        }),
        scheduledDelayMillis: 1_000,
      }),
    );
  if (options.exporter !== undefined)
    spanProcessors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    // Attribute values can be a sender's (a Kafka message key, as large as its topic allows): cut, so that spans
    // waiting for export, and each export batch, stay small.
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
    spanProcessors,
  });
  return {
    tracer: provider.getTracer(`@mod/${options.service}`),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** A service's tracing from its validated environment; `role` names it unless OTEL_SERVICE_NAME does. */
export function tracingFromConfig(config: TracingEnvConfig, role: string, logger: Logger): Tracing {
  return createTracing({
    service: config.OTEL_SERVICE_NAME === '' ? role : config.OTEL_SERVICE_NAME,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpHeaders: config.OTEL_EXPORTER_OTLP_HEADERS,
    sampleRatio: config.OTEL_TRACES_SAMPLER_ARG,
    logger,
  });
}

/** A tracer that records nothing but passes a parent's context through (packages used without tracing). */
export const noTracer: Tracer = trace.getTracer('@mod/untraced');
