export { createLogger, type Logger } from './logger.js';
export {
  createRegistry,
  createStepMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type StepMetrics,
} from './metrics.js';
export {
  registerOpsRoutes,
  createOpsServer,
  type OpsServerOptions,
  type ReadinessCheck,
} from './ops-server.js';
export { onShutdown } from './shutdown.js';
