/**
 * `@mod/urls`: URL normalisation, URL lists and their matching, blocklist feed rendering, media sniffing and the
 * block page: pure code over strings and bytes. The network side (the SSRF-safe fetcher, its address policy and
 * host checks) is the subpath `@mod/urls/fetch`.
 */
export { UrlError, UrlErrorCode } from './errors.js';
export {
  MAX_URL_LENGTH,
  HostType,
  normalizeUrl,
  normalizeUrlOrThrow,
  normalizePattern,
  normalizePercentEncoding,
  writtenUrlProblem,
  urlSha256,
  type NormalizedUrl,
  type NormalizeResult,
} from './normalize.js';
export {
  UrlListKind,
  UrlListIndex,
  canonicalPatternKey,
  isRegistrySuffix,
  type UrlListEntry,
  type UrlListMatch,
} from './url-list.js';
export { RecentlySeen, type RecentlySeenOptions } from './recently-seen.js';
export { FairSlots, Semaphore } from './host-limiter.js';
export { backoffMs, type BackoffOptions } from './backoff.js';
export {
  MediaType,
  SNIFF_BYTES,
  isHtmlContentType,
  isSvgContentType,
  sniffMedia,
  sniffsAsHtml,
} from './sniff.js';
export { InlineRefusal, decodeInlineImage, type InlineImage } from './inline-images.js';
export {
  DEFAULT_MAX_INLINE_BYTES,
  DEFAULT_MAX_PAGE_FRAMES,
  DEFAULT_MAX_PAGE_IMAGES,
  PageImageRefusal,
  extractPageImages,
  type PageImageSource,
  type PageImages,
} from './page-images.js';
export { largestSrcsetCandidate } from './srcset.js';
export { cssImageUrls } from './css-urls.js';
export { charsetParameter, decodePage, pageEncoding, prescanEncoding } from './page-encoding.js';
export {
  nextSerial,
  planBlocklistChange,
  type BlocklistEntry,
  type BlocklistSnapshot,
  type BlocklistChange,
} from './blocklist.js';
export {
  isDnsName,
  rpzCnameTarget,
  rpzHostFits,
  rpzRecordsOf,
  rpzZoneName,
  type RpzAction,
  type RpzOptions,
} from './rpz.js';
export { FEED_RENDER_VERSION, feedLinesOf, type FeedEntryLines, type SkippedEntry } from './feed-lines.js';
export {
  FeedFormat,
  feedContentType,
  feedHead,
  fullFeedEtag,
  incrementalFromLines,
  renderFeed,
  renderIncremental,
  etagMatches,
  type RenderedFeed,
  type IncrementalFeed,
  type FullRequired,
} from './feeds.js';
export { renderSplashPage, escapeHtml, type SplashPageOptions, type SplashTexts } from './splash.js';
