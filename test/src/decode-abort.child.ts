/**
 * The scanner as `services/scanner/dist/main.js` runs it (configured by environment only, JSON logs on stdout), but
 * with a hash pool task of decode-abort.test.ts's (`abort-on-mark.test-task.ts`): for that test only. SIGTERM stops
 * it gracefully. Node runs it as it is (its types stripped).
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@mod/config';
import { createScannerService, scannerSpec } from '@mod/scanner';
import { createLogger, createRegistry } from '@mod/telemetry';

const config = loadConfig(scannerSpec, process.env);
const logger = createLogger('scanner', config.LOG_LEVEL);
const service = createScannerService(config, logger, createRegistry('scanner'), {
  hashTaskFilename: fileURLToPath(new URL('./abort-on-mark.test-task.ts', import.meta.url)),
});
process.once('SIGTERM', () => {
  void service.stop().then(() => process.exit(0));
});
await service.start();
