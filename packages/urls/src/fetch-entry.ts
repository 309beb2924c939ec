/**
 * Subpath `@mod/urls/fetch`: reaching the network safely. The SSRF-safe fetcher and poster, the address policy
 * that refuses every non-public address, the host checks (resolution included) it applies to every hop, and the
 * retrying of a fetch's transient failures.
 */
export {
  defaultAddressPolicy,
  parseIpv6,
  type AddressPolicy,
  type AddressVerdict,
} from './address-policy.js';
export {
  checkHost,
  type HostCheck,
  type HostCheckOptions,
  type HostAllowed,
  type HostRefused,
} from './host-check.js';
export { createSafeFetcher } from './fetcher.js';
export {
  DEFAULT_FETCH_RETRY,
  FetchRetryReason,
  fetchRetryDelay,
  fetchWithRetries,
  parseRetryAfterMs,
  transientReason,
  type FetchRetryOptions,
  type FetchRetryRun,
} from './fetch-retry.js';
export {
  FetchRefusal,
  type FetchOutcome,
  type FetchOutcomeLabel,
  type FetchOptions,
  type FetchSuccess,
  type FetchFailure,
  type PageFetchOutcome,
  type PageFetchSuccess,
  type PostOutcome,
  type PostRequest,
  type PostSuccess,
  type Resolver,
  type ConnectTarget,
  type SafeFetcher,
  type SafePoster,
  type SafeFetcherOptions,
} from './fetcher-types.js';
