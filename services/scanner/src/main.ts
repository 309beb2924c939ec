import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createOpsServer, createRegistry, onShutdown } from '@mod/telemetry';
import { scannerSpec } from './config.js';
import { createScannerService } from './service.js';

const config = loadConfig(scannerSpec, process.env);
const logger = createLogger('scanner', config.LOG_LEVEL);
const registry = createRegistry('scanner');
const service = createScannerService(config, logger, registry);
const ops = createOpsServer({ registry, checks: service.checks });

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
  await service.stop();
  await ops.close();
});

logger.info({ config: describeConfig(scannerSpec, config) }, 'starting');
await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
logger.info({ address: ops.addresses() }, 'ops server listening');
await service.start();
