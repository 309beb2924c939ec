// The libuv pool that runs every decode is sized at its first use: before the service's modules are imported.
import { sizeThreadpoolFor } from '@mod/bootstrap/threadpool';

sizeThreadpoolFor('CLASSIFIER_THREADS');
const { runWorker } = await import('@mod/bootstrap');
const { classifierSpec } = await import('./config.js');
const { createClassifierService } = await import('./service.js');

await runWorker({
  name: 'classifier',
  spec: classifierSpec,
  create: createClassifierService,
});
