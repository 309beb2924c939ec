import { runWorker } from '@mod/bootstrap';
import { fetcherSpec } from './config.js';
import { createFetcherService } from './service.js';

// No test seams here: production always uses the system resolver and the default address policy.
await runWorker({
  name: 'fetcher',
  spec: fetcherSpec,
  create: createFetcherService,
});
