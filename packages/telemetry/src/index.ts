export { createLogger, type Logger } from './logger.js';
export {
  createRegistry,
  createStepMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  stageTimer,
  type StageTimer,
  type StepMetrics,
} from './metrics.js';
export {
  registerOpsRoutes,
  registerProbeRoutes,
  createOpsServer,
  createReadiness,
  type OpsServerOptions,
  type Readiness,
  type ReadinessCheck,
  type ReadinessOptions,
} from './ops-server.js';
export { onShutdown } from './shutdown.js';
export {
  createTracing,
  MAX_ATTRIBUTE_CHARS,
  noTracer,
  tracingFromConfig,
  type Tracing,
  type TracingEnvConfig,
  type TracingOptions,
} from './tracing.js';
export {
  activeTraceIds,
  contextOfTraceparent,
  linkToOutside,
  spanContextOfTraceparent,
  startStoredSpan,
  traceparentOf,
  withoutTrace,
  TRACEPARENT_HEADER,
} from './trace-context.js';
export {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
