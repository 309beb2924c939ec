import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createOpsServer, createRegistry, onShutdown } from '@mod/telemetry';
import { actionerSpec } from './config.js';
import { createActionerService } from './service.js';

const config = loadConfig(actionerSpec, process.env);
const logger = createLogger('actioner', config.LOG_LEVEL);
const registry = createRegistry('actioner');
const service = createActionerService(config, logger, registry);
const ops = createOpsServer({ registry, checks: service.checks });

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
  await service.stop();
  await ops.close();
});

logger.info({ config: describeConfig(actionerSpec, config) }, 'starting');
await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
logger.info({ address: ops.addresses() }, 'ops server listening');
await service.start();
