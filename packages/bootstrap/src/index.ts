export { createWorker, PARTITIONS_AT_ONCE } from './worker.js';
export type {
  ConsumeOptions,
  InboundKind,
  Worker,
  WorkerConfig,
  WorkerOptions,
  WorkerTopic,
} from './worker.js';
export { runWorker, type RunnableService, type WorkerService, type WorkerServiceOptions } from './main.js';
export { defineWorkerService, type WorkerServiceFactory, type WorkerServiceParts } from './worker-service.js';
export {
  DEFAULT_MAX_MEDIA_BYTES,
  DEFAULT_MEDIA_READ_AHEAD_BYTES,
  maxMediaBytesSetting,
  mediaReadAheadSetting,
} from './settings.js';
export { labelledCounter, type LabelledCounterSpec } from './metrics.js';
