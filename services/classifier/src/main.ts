import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createOpsServer, createRegistry, onShutdown } from '@mod/telemetry';
import { classifierSpec } from './config.js';
import { createClassifierService } from './service.js';

const config = loadConfig(classifierSpec, process.env);
const logger = createLogger('classifier', config.LOG_LEVEL);
const registry = createRegistry('classifier');
const service = createClassifierService(config, logger, registry);
const ops = createOpsServer({ registry, checks: service.checks });

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
  await service.stop();
  await ops.close();
});

logger.info({ config: describeConfig(classifierSpec, config) }, 'starting');
await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
logger.info({ address: ops.addresses() }, 'ops server listening');
await service.start();
