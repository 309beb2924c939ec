import { runWorker } from '@mod/bootstrap';
import { scannerSpec } from './config.js';
import { createScannerService } from './service.js';

await runWorker({
  name: 'scanner',
  spec: scannerSpec,
  create: createScannerService,
});
