export { fetcherSpec } from './config.js';
export {
  createFetcherService,
  type FetcherService,
  type FetcherConfig,
  type FetcherTestSeams,
} from './service.js';
export {
  createFetchStep,
  looksLikeMedia,
  urlListVerdict,
  ObservedOutcome,
  FETCHER_VERSION,
  type FetchStepDeps,
} from './fetch-step.js';
export {
  createUrlListSync,
  applyUrlListChange,
  type UrlListSync,
  type UrlLists,
  type UrlEntryData,
  type UrlBankMeta,
} from './url-list-sync.js';
export { deterministicUuid } from '@mod/contracts';
