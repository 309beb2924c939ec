// The service, once libuv's pool is sized (main.ts).
import { runWorker } from '@mod/bootstrap';
import { classifierSpec } from './config.js';
import { createClassifierService } from './service.js';

await runWorker({
  name: 'classifier',
  spec: classifierSpec,
  create: createClassifierService,
});
