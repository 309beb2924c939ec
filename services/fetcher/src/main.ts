import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createOpsServer, createRegistry, onShutdown } from '@mod/telemetry';
import { fetcherSpec } from './config.js';
import { createFetcherService } from './service.js';

const config = loadConfig(fetcherSpec, process.env);
const logger = createLogger('fetcher', config.LOG_LEVEL);
const registry = createRegistry('fetcher');
// No test seams here: production always uses the system resolver and the default address policy.
const service = createFetcherService(config, logger, registry);
const ops = createOpsServer({ registry, checks: service.checks });

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
  await service.stop();
  await ops.close();
});

logger.info({ config: describeConfig(fetcherSpec, config) }, 'starting');
await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
logger.info({ address: ops.addresses() }, 'ops server listening');
await service.start();
