import type { ServiceRole } from '@mod/contracts';
import type { Logger, Registry } from '@mod/telemetry';
import type { RunnableService, WorkerServiceOptions } from './main.js';
import { createWorker, type Worker, type WorkerConfig } from './worker.js';

/**
 * A worker service's factory, as `runWorker` and the tests call it: its configuration, its logger, its metrics
 * registry and, from tests, its options (seams such as tracing; production passes none).
 */
export type WorkerServiceFactory<
  C extends WorkerConfig,
  S extends RunnableService,
  O extends WorkerServiceOptions = WorkerServiceOptions,
> = (config: C, logger: Logger, registry: Registry, options?: O) => S;

/** What a service's own part is built from: the factory's arguments and the worker made from them. */
export interface WorkerServiceParts<
  C extends WorkerConfig,
  O extends WorkerServiceOptions = WorkerServiceOptions,
> {
  /** The shared worker, under the service's role, with its pool size and the options' tracing. */
  worker: Worker;
  config: C;
  logger: Logger;
  registry: Registry;
  /** The caller's options; none given is `{}`. */
  options: Partial<O>;
}

/**
 * The factory of a worker service: the same arguments for every worker, the worker made from them the same way
 * (`createWorker` under `role` with `dbConnections` connections and the options' tracing), then `build` makes what
 * is the service's own (its step, its indexes, its metrics).
 */
export function defineWorkerService<
  C extends WorkerConfig,
  S extends RunnableService,
  O extends WorkerServiceOptions = WorkerServiceOptions,
>(
  shape: { role: ServiceRole; dbConnections: number },
  build: (parts: WorkerServiceParts<C, O>) => S,
): WorkerServiceFactory<C, S, O> {
  return (config, logger, registry, options) => {
    const worker = createWorker(config, shape.role, logger, registry, {
      dbConnections: shape.dbConnections,
      tracing: options?.tracing,
    });
    return build({ worker, config, logger, registry, options: options ?? {} });
  };
}
