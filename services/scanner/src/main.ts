// The libuv pool that runs every decode is sized at its first use: before the service's modules are imported.
import { sizeThreadpoolFor } from '@mod/bootstrap/threadpool';

sizeThreadpoolFor('HASH_THREADS');
const { runWorker } = await import('@mod/bootstrap');
const { scannerSpec } = await import('./config.js');
const { createScannerService } = await import('./service.js');

await runWorker({
  name: 'scanner',
  spec: scannerSpec,
  create: createScannerService,
});
