import { describeConfig, loadConfig } from '@mod/config';
import { createLogger, createRegistry, onShutdown } from '@mod/telemetry';
import { apiSpec } from './config.js';
import { createApiService } from './service.js';

const config = loadConfig(apiSpec, process.env);
const logger = createLogger('api', config.LOG_LEVEL);
const registry = createRegistry('api');
const service = createApiService(config, logger, registry);

onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, () => service.stop());

logger.info({ config: describeConfig(apiSpec, config) }, 'starting');
const app = await service.start();
await app.listen({ host: config.API_HOST, port: config.API_PORT });
