import { runWorker } from '@mod/bootstrap';
import { actionerSpec } from './config.js';
import { createActionerService } from './service.js';

await runWorker({
  name: 'actioner',
  spec: actionerSpec,
  create: createActionerService,
});
