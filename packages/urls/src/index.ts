export { UrlError, UrlErrorCode } from './errors.js';
export {
  MAX_URL_LENGTH,
  HostType,
  normalizeUrl,
  normalizeUrlOrThrow,
  normalizePattern,
  normalizePercentEncoding,
  type NormalizedUrl,
  type NormalizeResult,
} from './normalize.js';
export {
  UrlListKind,
  UrlListIndex,
  canonicalPatternKey,
  type UrlListEntry,
  type UrlListMatch,
} from './url-list.js';
export { RecentlySeen, type RecentlySeenOptions } from './recently-seen.js';
export {
  defaultAddressPolicy,
  parseIpv6,
  type AddressPolicy,
  type AddressVerdict,
} from './address-policy.js';
export { MediaType, SNIFF_BYTES, sniffMedia } from './sniff.js';
export {
  checkHost,
  type HostCheck,
  type HostCheckOptions,
  type HostAllowed,
  type HostRefused,
} from './host-check.js';
export {
  FetchRefusal,
  createSafeFetcher,
  type FetchOutcome,
  type FetchOutcomeLabel,
  type FetchSuccess,
  type FetchFailure,
  type PostOutcome,
  type PostRequest,
  type PostSuccess,
  type Resolver,
  type ConnectTarget,
  type SafeFetcher,
  type SafePoster,
  type SafeFetcherOptions,
} from './fetcher.js';
export {
  FeedFormat,
  FEED_RENDER_VERSION,
  feedContentType,
  feedHead,
  feedLinesOf,
  fullFeedEtag,
  incrementalFromLines,
  rpzCnameTarget,
  rpzHostFits,
  rpzRecordsOf,
  rpzZoneName,
  nextSerial,
  planBlocklistChange,
  renderFeed,
  renderIncremental,
  etagMatches,
  type BlocklistEntry,
  type BlocklistSnapshot,
  type BlocklistChange,
  type FeedEntryLines,
  type RpzAction,
  type RpzOptions,
  type RenderedFeed,
  type IncrementalFeed,
  type FullRequired,
  type SkippedEntry,
} from './feeds.js';
export { renderSplashPage, escapeHtml, type SplashPageOptions, type SplashTexts } from './splash.js';
