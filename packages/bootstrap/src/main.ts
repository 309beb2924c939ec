import { commonSpec, describeConfig, loadConfig, type ConfigOf, type Spec } from '@mod/config';
import {
  createLogger,
  createOpsServer,
  createRegistry,
  onShutdown,
  type Logger,
  type Registry,
  type Tracing,
} from '@mod/telemetry';

/** What `runWorker` starts: a service with readiness checks, stopped gracefully. */
export interface RunnableService {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  checks: Record<string, () => Promise<boolean>>;
}

/**
 * A worker service (scanner, classifier, ...): `start` migrates, waits for its topics and starts consuming; `stop`
 * stops consuming, lets in-flight messages finish, commits, and closes its pools and connections.
 */
export interface WorkerService extends RunnableService {
  start(): Promise<void>;
}

/** What every worker service's factory takes besides its configuration, logger and registry. */
export interface WorkerServiceOptions {
  /** Where spans go (tests: an in-memory exporter). Default: from the environment (OTEL_*). */
  tracing?: Tracing | undefined;
}

/**
 * A worker's `main`: reads its configuration from the environment (refusing a bad one with every problem named),
 * serves `/metrics`, `/health/live` and `/health/ready` on its ops port, starts the service, and on SIGTERM or
 * SIGINT stops it (stop consuming, drain, commit, close) within `SHUTDOWN_TIMEOUT_MS`.
 */
export async function runWorker<S extends Spec & typeof commonSpec>(o: {
  name: string;
  spec: S;
  create: (config: ConfigOf<S>, logger: Logger, registry: Registry) => RunnableService;
}): Promise<void> {
  const config = loadConfig(o.spec, process.env);
  // The settings every service has (the service's spec includes them: loading them again cannot fail).
  const common = loadConfig(commonSpec, process.env);
  const logger = createLogger(o.name, common.LOG_LEVEL);
  const registry = createRegistry(o.name);
  const service = o.create(config, logger, registry);
  const ops = createOpsServer({ registry, checks: service.checks });
  onShutdown(logger, common.SHUTDOWN_TIMEOUT_MS, async () => {
    await service.stop();
    await ops.close();
  });
  logger.info({ config: describeConfig(o.spec, config) }, 'starting');
  await ops.listen({ host: common.OPS_HOST, port: common.OPS_PORT });
  logger.info({ address: ops.addresses() }, 'ops server listening');
  await service.start();
}
