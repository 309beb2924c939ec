import { labelledCounter } from '@mod/bootstrap';
import {
  fetcherSubmissionIds,
  tenantOfPartnerTopic,
  urlObservedCodec,
  type UrlObserved,
} from '@mod/contracts';
import { cutText } from '@mod/contracts/text-rules';
import { refuseTenant, type SubmissionInput, type TenantDirectory } from '@mod/db/submissions';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import type { Counter, Registry } from '@mod/telemetry';
import { FairSlots, normalizeUrl, urlSha256, type NormalizedUrl, type PageImageSource } from '@mod/urls';
import { FetchRefusal, fetchWithRetries, type FetchRetryOptions, type SafeFetcher } from '@mod/urls/fetch';
import {
  sendListedVerdict,
  submissionNotOwned,
  urlListVerdict,
  type ListedVerdictDeps,
} from './listed-verdict.js';
import { publishMedia } from './media-publish.js';
import {
  crawlPage,
  DEFAULT_PAGE_CRAWL_TIMEOUT_MS,
  listMatches,
  PAGE_IMAGE_FETCHES_AT_ONCE,
  type PageCounters,
} from './page-crawl.js';
import { stopAtListed, type ListedHop } from './page-frames.js';
import type { SeenUrls } from './seen-urls.js';
import type { UrlLists } from './url-list-sync.js';

export { FETCHER_VERSION, submissionNotOwned, urlListVerdict } from './listed-verdict.js';

/** What happened to one observed URL: the label of `mod_fetcher_observed_total`. */
export const ObservedOutcome = {
  BadUrl: 'bad-url',
  /** The event's tenant is unknown, disabled or not an ISP, or not the topic's (dead-lettered). */
  TenantRefused: 'tenant-refused',
  RecentlySeen: 'recently-seen',
  UrlListHit: 'url-list-hit',
  AllowListed: 'allow-listed',
  NotMediaUrl: 'not-media-url',
  Fetched: 'fetched',
  /** A reported HTML page: its embedded images were matched and submitted (`mod_fetcher_page_images_total`). */
  PageCrawled: 'page-crawled',
  Refused: 'refused',
} as const;
export type ObservedOutcome = (typeof ObservedOutcome)[keyof typeof ObservedOutcome];

/** `mod_fetcher_observed_total`: the step's `observed` counter, by `ObservedOutcome`. */
export function createObservedCounter(registry: Registry): Counter<'outcome'> {
  return labelledCounter(registry, {
    name: 'mod_fetcher_observed_total',
    help: 'Observed URLs by what happened to them',
    label: 'outcome',
  });
}

export interface FetchStepDeps extends ListedVerdictDeps {
  urlLists: UrlLists;
  fetcher: SafeFetcher;
  /** What each ISP observed lately (keys per observing tenant: {@link seenKey}). */
  seen: SeenUrls;
  mediaTopic: string;
  /** The internal observed-URL topic (the API's traffic samples): its events name their ISP. */
  urlObservedTopic: string;
  /** Topic prefix: `<prefix>mod.url-observed.v1.<tenant>` is an ISP's own topic. */
  topicPrefix: string;
  /**
   * Records a reported URL's refusal (fetch refused, not media) as its submission, failed with the refusal's code,
   * so that the report router opens a case for a person (`@mod/db` `claimSubmission` + `markSubmissionFailed`).
   * A crawled page's record names the submissions of its embedded images (the router follows them).
   */
  recordRefusal: (
    s: SubmissionInput & {
      failureCode: string;
      embeddedSubmissionIds?: string[];
      embeddedImagesShown?: number;
      /** Where each of `embeddedSubmissionIds` comes from in the page (`img`, `meta`, `css`, `frame`), by id. */
      embeddedImageSources?: Record<string, PageImageSource>;
    },
  ) => Promise<void>;
  /** Embedded images of a reported page matched or fetched (the first in document order), its frames' included. */
  maxPageImages: number;
  /** Pages a reported page frames (iframe, frame) fetched for their images, one level deep. Default 4. */
  maxPageFrames?: number;
  /** The largest image a reported page may inline (`data:`), decoded: the media body limit. Default 16 MiB. */
  maxMediaBytes?: number;
  /** All of a page's frame and image fetches end within this long (the rest are refused as aborted). Default 30 s. */
  pageCrawlTimeoutMs?: number;
  /**
   * How a reported page's fetch, and its images' fetches, that failed transiently (timeout, connection failure,
   * 408, 429, 5xx) are tried again, within `pageCrawlTimeoutMs`. Default `DEFAULT_FETCH_RETRY` of `@mod/urls/fetch`: 2 retries, 500 ms doubling,
   * at most 5 s of wait (and of `Retry-After`).
   */
  pageImageRetry?: FetchRetryOptions;
  pageCounters: PageCounters;
  /** Who the tenants are (unknown, disabled or non-ISP tenants' events are dead-lettered). */
  tenants: Pick<TenantDirectory, 'get'>;
  /** Fetch every URL, not only those that look like media. */
  fetchAllUrls: boolean;
  observed: Counter<'outcome'>;
  now?: () => Date;
}

const MEDIA_EXTENSIONS = /\.(?:jpe?g|png|gif|webp|bmp|tiff?|avif|heic|heif)$/i;

/** Whether a URL is worth fetching for hashing: an image content type from the ISP, or an image extension. */
export function looksLikeMedia(url: NormalizedUrl, contentType: string | undefined): boolean {
  if (contentType !== undefined) return contentType.trim().toLowerCase().startsWith('image/');
  return MEDIA_EXTENSIONS.test(url.path);
}

/** Refusals that may succeed later: the URL is forgotten so a later observation tries again. */
const TRANSIENT: ReadonlySet<string> = new Set([
  FetchRefusal.Timeout,
  FetchRefusal.ConnectionFailed,
  FetchRefusal.DnsFailure,
  FetchRefusal.Aborted,
  FetchRefusal.HostBusy,
]);

/** A reported page's own record: not media (a person assesses it unless one of its images settles it). */
export const NOT_MEDIA_CODE = 'MOD_ERR_FETCH_NOT_MEDIA';

/** A reported URL listed in a negative (allow) URL list: recorded so that a person assesses it at once. */
export const ALLOW_LISTED_CODE = 'MOD_ERR_FETCH_ALLOW_LISTED';

/**
 * The ISP an observed URL comes from. On the internal topic (the API's traffic samples) the event names its ISP; on
 * an ISP's own topic the tenant is the topic's, and the event's `tenantId` must say the same.
 */
export function observedTenant(
  m: Pick<ConsumedMessage, 'topic'>,
  event: UrlObserved,
  where: { urlObservedTopic: string; topicPrefix: string },
): { ok: true; tenantId: string; partner: boolean } | { ok: false; code: string; message: string } {
  if (m.topic === where.urlObservedTopic) return { ok: true, tenantId: event.tenantId, partner: false };
  const tenantId = tenantOfPartnerTopic(where.topicPrefix, 'urlObserved', m.topic);
  if (tenantId === null)
    return {
      ok: false,
      code: 'MOD_ERR_FETCH_UNKNOWN_TOPIC',
      message: `not an observed-URL topic: ${m.topic}`,
    };
  if (event.tenantId !== tenantId)
    return {
      ok: false,
      code: 'MOD_ERR_FETCH_TENANT_MISMATCH',
      message: `an event on ${tenantId}'s topic names tenant ${cutText(event.tenantId, 64)}`,
    };
  return { ok: true, tenantId, partner: true };
}

/**
 * The name an observed URL's ids derive from (its submissions, media event and verdict). On the internal topic the
 * event id, which the API gives each line once. On an ISP's own topic the ISP chooses the event id, so the name
 * holds its tenant (no ISP collides with another's events) and the URL: an event id sent again with another URL
 * named the first URL's submission, so its verdict was dropped as a replay, or its media refused as another's
 * content, while the URL stayed remembered as seen and every ISP's observation of it was skipped for the TTL.
 */
function observedIdName(
  event: Pick<UrlObserved, 'eventId'>,
  origin: { tenantId: string; partner: boolean },
  url: Pick<NormalizedUrl, 'href'>,
): string {
  return origin.partner ? `partner:${origin.tenantId}:${event.eventId}:${url.href}` : event.eventId;
}

/**
 * The seen-before key of a URL one tenant observed. Per observing tenant: an ISP's observation must not keep
 * another's from being fetched, whatever became of it after the fetch (the scan refuses the event of a tenant
 * disabled meanwhile, and the actioner its verdict), and whatever the host answered that ISP's fetch. Any one
 * verdict opens blocking requests to every ISP, so this costs at most one fetch per ISP and URL within the TTL (and
 * across ISPs it was never sure: each ISP's own topic may be another fetcher's, each with its own memory).
 */
export const seenKey = (tenantId: string, key: string): string => JSON.stringify([tenantId, key]);

/**
 * One observed URL: establish its ISP; normalise; match the URL lists first (a hit becomes a verdict, so the
 * actioner opens blocking requests, however recently the URL was seen before it was listed); skip if seen within
 * the TTL; otherwise fetch media-looking URLs through the SSRF-safe fetcher and submit the bytes for scanning.
 * Refusals are outcomes (counted by the fetcher), never exceptions.
 */
export function createFetchStep(deps: FetchStepDeps) {
  const now = deps.now ?? (() => new Date());
  const count = (outcome: ObservedOutcome) => deps.observed.inc({ outcome });
  // Shared fairly by every page this step crawls: the embedded images' bodies held at once, whatever the events in
  // flight, and no page's slow images holding them all.
  const imageSlots = new FairSlots<string>(PAGE_IMAGE_FETCHES_AT_ONCE);
  return async (m: ConsumedMessage): Promise<StepOutcome> => {
    const event = urlObservedCodec.decode(m.value);
    const origin = observedTenant(m, event, deps);
    if (!origin.ok) {
      count(ObservedOutcome.TenantRefused);
      return { kind: 'dlq', code: origin.code, message: origin.message };
    }
    // A report (the API's, on the internal topic only) is routed for whoever filed it: the public-reports or a
    // hotline tenant, a platform. On an ISP's own topic `purpose` means nothing.
    const report = !origin.partner && event.purpose === 'report';
    const refused = await refuseTenant(
      deps.tenants,
      origin.tenantId,
      origin.partner ? ['isp'] : report ? ['isp', 'admin', 'hotline', 'platform'] : ['isp', 'admin'],
    );
    if (refused !== null) {
      count(ObservedOutcome.TenantRefused);
      return { kind: 'dlq', ...refused };
    }
    const { tenantId } = origin;
    const normalized = normalizeUrl(event.url);
    if (!normalized.ok) {
      count(ObservedOutcome.BadUrl);
      const { code, message } = normalized.error;
      // An ISP's own event is refused with the URL's code, where its operator sees it (the API answers a traffic
      // sample's bad line to the ISP; a partner on Kafka has no answer but this). The internal topic's come checked.
      if (origin.partner) return { kind: 'dlq', code, message };
      return { kind: 'drop', reason: `${code}: ${message}` };
    }
    const url = normalized.url;
    const idName = observedIdName(event, origin, url);
    /** A URL the lists match (the observed one, or a redirect's target): an allow list's or a listed verdict. */
    const answerListed = async ({ url: listedUrl, matches }: ListedHop): Promise<StepOutcome> => {
      if (matches.some((x) => x.bank.negative)) {
        count(ObservedOutcome.AllowListed);
        // A report gets its answer at once: a person assesses the URL (not after the router's resends).
        if (report)
          await deps.recordRefusal({
            id: fetcherSubmissionIds(idName).listed,
            tenantId,
            source: 'fetcher',
            url: listedUrl.href,
            sha256: urlSha256(listedUrl.href),
            failureCode: ALLOW_LISTED_CODE,
          });
        return { kind: 'drop', reason: 'listed in a negative URL list' };
      }
      // Seen-before is per listing: a URL listed after it was last seen is a new hit.
      const listedKey = seenKey(
        tenantId,
        `listed:${matches
          .map((x) => x.match.entry.id)
          .sort()
          .join(',')}:${listedUrl.key}`,
      );
      if (deps.seen.checkAndAdd(listedKey) && !report) {
        count(ObservedOutcome.RecentlySeen);
        return { kind: 'drop', reason: 'listed URL already reported within the TTL' };
      }
      const verdict = urlListVerdict(
        { eventId: event.eventId, idName, tenantId },
        listedUrl,
        matches.map(({ match, bank }) => ({ match, bankName: bank.name, actionPolicy: bank.actionPolicy })),
        now(),
      );
      try {
        if (!(await sendListedVerdict(deps, verdict, listedUrl))) {
          deps.seen.forget(listedKey);
          return { kind: 'dlq', ...submissionNotOwned(verdict.submissionId) };
        }
      } catch (err) {
        deps.seen.forget(listedKey);
        throw err;
      }
      count(ObservedOutcome.UrlListHit);
      return { kind: 'ok' };
    };
    const matches = listMatches(deps.urlLists, url);
    if (matches.length > 0) return answerListed({ url, matches });
    // Before the seen check: the content type is one ISP's hint, not the URL's, so a URL it calls a page must not
    // be remembered as seen (another ISP's observation of it as media, within the TTL, would then be dropped).
    if (!deps.fetchAllUrls && !report && !looksLikeMedia(url, event.contentType)) {
      count(ObservedOutcome.NotMediaUrl);
      return { kind: 'drop', reason: 'does not look like media' };
    }
    // By the URL with its scheme: the matching key has none, and a server may refuse one scheme and serve the other,
    // so an observation under one would keep the other from being fetched for the TTL, whoever observed it.
    const fetchKey = seenKey(tenantId, url.href);
    if (deps.seen.checkAndAdd(fetchKey) && !report) {
      count(ObservedOutcome.RecentlySeen);
      return { kind: 'drop', reason: 'seen within the TTL' };
    }
    const submissionId = fetcherSubmissionIds(idName).fetched;
    /** The reported URL's own record, when it brought no media (a refusal, a page). */
    const fetchedRecord = () => ({
      id: submissionId,
      tenantId,
      source: 'fetcher' as const,
      url: url.href,
      sha256: urlSha256(url.href),
    });
    // A report may name a page: page mode brings its HTML, and the images it shows are submitted on their own.
    // A report's fetch that fails transiently is tried again as its images are (`pageImageRetry`), no wait begun
    // past PAGE_CRAWL_TIMEOUT_MS from now: a host's hiccup would otherwise leave the whole page unscanned.
    // A redirect to a listed URL stops there: that URL's hit, as if it had been observed (it is not fetched).
    const hops = stopAtListed(deps.urlLists);
    const fetched = report
      ? await fetchWithRetries(() => deps.fetcher.fetchPage(url.href, { follow: hops.follow }), {
          ...deps.pageImageRetry,
          deadlineMs: Date.now() + (deps.pageCrawlTimeoutMs ?? DEFAULT_PAGE_CRAWL_TIMEOUT_MS),
          onRetry: ({ reason }) => deps.pageCounters.retries.inc({ reason }),
        })
      : // A traffic sample holds one of the partition's in-flight slots while it waits for its host: it does not
        // queue behind a host already that busy (a tarpit, however many names point at it, would hold them all),
        // and is forgotten as seen, so that its next observation fetches it.
        await deps.fetcher.fetch(url.href, { follow: hops.follow, whenHostBusy: 'refuse' });
    const hop = hops.listed();
    if (hop !== null) return answerListed(hop);
    if (fetched.ok && 'kind' in fetched) {
      const crawled = await crawlPage(
        {
          deps,
          tenantId,
          eventId: event.eventId,
          idName,
          now,
          imageSlots,
        },
        fetched,
      );
      if (crawled.kind === 'dlq') {
        deps.seen.forget(fetchKey);
        count(ObservedOutcome.TenantRefused);
        return crawled;
      }
      // The page itself is not media: recorded as today, with the images' submissions for the router to follow.
      await deps.recordRefusal({
        ...fetchedRecord(),
        failureCode: NOT_MEDIA_CODE,
        embeddedSubmissionIds: crawled.submissionIds,
        embeddedImagesShown: crawled.shown,
        embeddedImageSources: crawled.sources,
      });
      count(ObservedOutcome.PageCrawled);
      return { kind: 'ok' };
    }
    if (!fetched.ok) {
      // A refusal is remembered briefly (content not live yet, a host refusing our first fetch on purpose).
      if (TRANSIENT.has(fetched.reason)) deps.seen.forget(fetchKey);
      else deps.seen.refused(fetchKey);
      count(ObservedOutcome.Refused);
      if (report)
        await deps.recordRefusal({
          ...fetchedRecord(),
          failureCode: `MOD_ERR_FETCH_${fetched.reason.toUpperCase().replaceAll('-', '_')}`,
        });
      return { kind: 'drop', reason: `fetch refused: ${fetched.reason}` };
    }
    try {
      await publishMedia(deps.producer, deps.mediaTopic, {
        eventName: `fetcher:media:${idName}`,
        submissionId,
        tenantId,
        url: fetched.url,
        mediaType: fetched.mediaType,
        bytes: fetched.bytes,
        at: now(),
      });
    } catch (err) {
      deps.seen.forget(fetchKey);
      throw err;
    }
    deps.seen.succeeded(fetchKey);
    count(ObservedOutcome.Fetched);
    return { kind: 'ok' };
  };
}
