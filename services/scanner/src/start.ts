// The service, once libuv's pool is sized (main.ts).
import { runWorker } from '@mod/bootstrap';
import { scannerSpec } from './config.js';
import { createScannerService } from './service.js';

await runWorker({
  name: 'scanner',
  spec: scannerSpec,
  create: createScannerService,
});
