import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createOpsServer, createRegistry, onShutdown } from '@mod/telemetry';
import { apiSpec } from './config.js';
import { createApiService } from './service.js';

const config = loadConfig(apiSpec, process.env);
const logger = createLogger('api', config.LOG_LEVEL);
const registry = createRegistry('api');
const service = createApiService(config, logger, registry);
// `/metrics` and the readiness checks by name, as every worker serves them (`runWorker`): on OPS_HOST:OPS_PORT,
// loopback unless the operator says otherwise, never on the public port (which answers only the bare probes).
const ops = createOpsServer({ registry, readiness: service.readiness });

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
  await service.stop();
  await ops.close();
});

logger.info({ config: describeConfig(apiSpec, config) }, 'starting');
await ops.listen({ host: config.OPS_HOST, port: config.OPS_PORT });
logger.info({ address: ops.addresses() }, 'ops server listening');
const app = await service.start();
await app.listen({ host: config.API_HOST, port: config.API_PORT });
