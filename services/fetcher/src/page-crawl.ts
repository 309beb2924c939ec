import { embeddedSubmissionId } from '@mod/contracts';
import type { StepOutcome } from '@mod/kafka';
import { labelledCounter } from '@mod/bootstrap';
import type { Counter, Registry } from '@mod/telemetry';
import {
  decodePage,
  DEFAULT_MAX_INLINE_BYTES,
  extractPageImages,
  isSvgContentType,
  normalizeUrl,
  type InlineImage,
  type FairSlots,
  type PageImageSource,
} from '@mod/urls';
import {
  FetchRefusal,
  FetchRetryReason,
  fetchWithRetries,
  type FetchFailure,
  type FetchOptions,
  type FetchSuccess,
  type PageFetchSuccess,
} from '@mod/urls/fetch';
import { publishMedia } from './media-publish.js';
import type { FetchStepDeps } from './fetch-step.js';
import { sendListedVerdict, submissionNotOwned, urlListVerdict } from './listed-verdict.js';
import {
  listMatches,
  MAX_PAGE_CANDIDATES,
  PageFrameOutcome,
  PageReferenceOutcome,
  stopAtListed,
  unlisted,
  withFrames,
  type ListedHop,
  type PageImage,
} from './page-frames.js';

export { listMatches } from './page-frames.js';

/** Images of one reported page fetched at once (each may be as large as the media topic carries). */
const IMAGE_CONCURRENCY = 4;

/**
 * Images and framed pages of all reported pages fetched (and held until sent or read) at once by one fetcher. Each holds up to
 * FETCH_MAX_BYTES: without this bound, FETCHER_MAX_IN_FLIGHT pages (8) four images at a time held 32 bodies
 * (384 MiB at 12 MiB, half the pod's 768 Mi limit, twice that while each is joined) where 8 media events hold 8.
 * The slots are shared fairly between the pages (`FairSlots`, each page its event's id): a page alone may fetch
 * IMAGE_CONCURRENCY at once; while several want slots, pages under their share are served first and the last free
 * slot is kept for a page yet to come, so pages whose images are slow (a hostile page's slow-drip bodies) cannot
 * hold every slot while other reports' images wait out their deadline.
 */
export const PAGE_IMAGE_FETCHES_AT_ONCE = 8;

/** What happened to one image a reported page embeds: the label of `mod_fetcher_page_images_total`. */
export const PageImageOutcome = {
  ...PageReferenceOutcome,
  Fetched: 'fetched',
  /** Not an http(s) URL without credentials (javascript:, blob:, user:pw@...), or unparseable. */
  BadUrl: 'bad-url',
  /** An image inlined in the page as a `data:` URI, decoded and submitted as media. */
  Inline: 'inline',
  /** A `data:` image not taken: not base64, bad base64, not an accepted image type, or too large. */
  InlineRefused: 'inline-refused',
} as const;
export type PageImageOutcome = (typeof PageImageOutcome)[keyof typeof PageImageOutcome];

/** What came of a crawled page: the label of `mod_fetcher_pages_total`. */
export const PageOutcome = { WithImages: 'with-images', NoImages: 'no-images' } as const;

/** The crawl's counters: pages crawled, their embedded images by outcome, image fetches retried (bounded labels). */
export interface PageCounters {
  pages: Counter<'outcome'>;
  images: Counter<'outcome'>;
  /** Page and image fetches tried again after a transient failure, by `FetchRetryReason`. */
  retries: Counter<'reason'>;
  /** Pages a reported page frames, by `PageFrameOutcome`. */
  frames: Counter<'outcome'>;
}

export function createPageCounters(registry: Registry): PageCounters {
  return {
    pages: labelledCounter(registry, {
      name: 'mod_fetcher_pages_total',
      help: 'Reported HTML pages crawled for their embedded images, by whether any was submitted',
      label: 'outcome',
      zeroed: Object.values(PageOutcome),
    }),
    images: labelledCounter(registry, {
      name: 'mod_fetcher_page_images_total',
      help: 'Images embedded in reported pages, by outcome (url-list-hit, allow-listed, fetched, refused, omitted, bad-url, inline, inline-refused)',
      label: 'outcome',
      zeroed: Object.values(PageImageOutcome),
    }),
    retries: labelledCounter(registry, {
      name: 'mod_fetcher_page_image_retries_total',
      help: 'Fetches of reported pages and their images tried again after a transient failure, by reason (timeout, connection-failed, server-error, rate-limited)',
      label: 'reason',
      zeroed: Object.values(FetchRetryReason),
    }),
    frames: labelledCounter(registry, {
      name: 'mod_fetcher_page_frames_total',
      help: 'Pages a reported page frames (iframe, frame), by outcome (crawled, media, url-list-hit, allow-listed, refused, omitted)',
      label: 'outcome',
      zeroed: Object.values(PageFrameOutcome),
    }),
  };
}

/** One embedded image's end: its outcome, the submission it became (if any), or the event's dead letter. */
type ImageResult =
  | { outcome: PageImageOutcome; submissionId: string | null; also?: string[] }
  | { dlq: { code: string; message: string } };

export interface CrawlContext {
  deps: FetchStepDeps;
  tenantId: string;
  /** The report event's id and the name the page's ids derive from. */
  eventId: string;
  idName: string;
  now: () => Date;
  /**
   * The fetcher's slots for embedded images, shared fairly by every page it crawls (`PAGE_IMAGE_FETCHES_AT_ONCE`),
   * each page's owner its event's id.
   */
  imageSlots: FairSlots<string>;
}

/** The images of one page are fetched within this long, all told, unless the deps say otherwise. */
export const DEFAULT_PAGE_CRAWL_TIMEOUT_MS = 30_000;

/** The page's deadline for its images: its signal, and the instant it fires (no retry waits past it). */
interface CrawlDeadline {
  signal: AbortSignal;
  atMs: number;
}

/**
 * One image's fetch, holding one of the fetcher's image slots from its start until its body is sent (the slot
 * bounds the bodies held); a transient failure is tried again (`deps.pageImageRetry`) within the page's deadline,
 * the slot let go while it waits, so that a failing host holds no other page's images back.
 */
function fetchImage(
  ctx: CrawlContext,
  href: string,
  deadline: CrawlDeadline,
  follow: FetchOptions['follow'],
): Promise<{ ok: true; fetched: FetchSuccess | PageFetchSuccess; release: () => void } | FetchFailure> {
  const { deps } = ctx;
  const { signal } = deadline;
  return fetchWithRetries(
    async () => {
      const release = await ctx.imageSlots.acquire(ctx.eventId, signal);
      if (release === null)
        return { ok: false, reason: FetchRefusal.Aborted, detail: 'no image slot', url: href, redirects: [] };
      // Page mode for an image, where an SVG image is a document (see `embedSvg`).
      const fetched = await deps.fetcher.fetchPage(href, { signal, follow, image: true });
      if (fetched.ok) return { ok: true, fetched, release };
      release();
      return fetched;
    },
    {
      ...deps.pageImageRetry,
      signal,
      deadlineMs: deadline.atMs,
      onRetry: ({ reason }) => deps.pageCounters.retries.inc({ reason }),
    },
  );
}

/** An image whose address (or a redirect's target, `hop.url`) the URL lists match: a verdict, unless allow-listed. */
async function listedImage(ctx: CrawlContext, hop: ListedHop, submissionId: string): Promise<ImageResult> {
  if (hop.matches.some((x) => x.bank.negative))
    return { outcome: PageImageOutcome.AllowListed, submissionId: null };
  const verdict = urlListVerdict(
    { eventId: ctx.eventId, tenantId: ctx.tenantId, submissionId },
    hop.url,
    hop.matches.map(({ match, bank }) => ({ match, bankName: bank.name, actionPolicy: bank.actionPolicy })),
    ctx.now(),
  );
  if (!(await sendListedVerdict(ctx.deps, verdict, hop.url)))
    return { dlq: submissionNotOwned(submissionId) };
  return { outcome: PageImageOutcome.UrlListHit, submissionId };
}

/**
 * One image: a URL-list hit becomes a verdict (its submission claimed first), else it is fetched and submitted; a
 * redirect to a listed URL is a hit on that URL (not fetched).
 */
async function embedImage(ctx: CrawlContext, href: string, deadline: CrawlDeadline): Promise<ImageResult> {
  const { deps, tenantId, idName } = ctx;
  const normalized = normalizeUrl(href);
  if (!normalized.ok) return { outcome: PageImageOutcome.BadUrl, submissionId: null };
  const url = normalized.url;
  const submissionId = embeddedSubmissionId(idName, url.href);
  const matches = listMatches(deps.urlLists, url);
  if (matches.length > 0) return listedImage(ctx, { url, matches }, submissionId);
  const hops = stopAtListed(deps.urlLists);
  // Refused once its retries are spent (or at once when trying again cannot help): the page's case counts it.
  const image = await fetchImage(ctx, url.href, deadline, hops.follow);
  const hop = hops.listed();
  if (hop !== null) return listedImage(ctx, hop, submissionId);
  if (!image.ok) return { outcome: PageImageOutcome.Refused, submissionId: null };
  const { fetched, release } = image;
  try {
    if ('kind' in fetched)
      return isSvgContentType(fetched.contentType)
        ? await embedSvg(ctx, fetched)
        : { outcome: PageImageOutcome.Refused, submissionId: null };
    await publishMedia(deps.producer, deps.mediaTopic, {
      eventName: `fetcher:media:embedded:${idName}:${url.href}`,
      submissionId,
      tenantId,
      url: fetched.url,
      mediaType: fetched.mediaType,
      bytes: fetched.bytes,
      at: ctx.now(),
    });
  } finally {
    release();
  }
  return { outcome: PageImageOutcome.Fetched, submissionId };
}

/**
 * An SVG image: what an `<img>` of it shows beyond vector art are the raster images it inlines (it loads nothing
 * else there), each submitted as the page's inline images are; one inlining none is not scanned (refused).
 */
async function embedSvg(ctx: CrawlContext, svg: PageFetchSuccess): Promise<ImageResult> {
  const { inline } = extractPageImages(decodePage(svg.bytes, svg.contentType), svg.url, {
    max: ctx.deps.maxPageImages,
    maxInlineBytes: ctx.deps.maxMediaBytes ?? DEFAULT_MAX_INLINE_BYTES,
    maxFrames: 0,
  });
  const ids: string[] = [];
  for (const image of inline) {
    const r = await embedInline(ctx, image, svg.url);
    if ('submissionId' in r && r.submissionId !== null) ids.push(r.submissionId);
  }
  const [first, ...also] = ids;
  return first === undefined
    ? { outcome: PageImageOutcome.Refused, submissionId: null }
    : { outcome: PageImageOutcome.Inline, submissionId: first, also };
}

/**
 * One image the page inlines (a `data:` URI): submitted as media like a fetched one, with an id from its bytes'
 * SHA-256 (a redelivery makes the same submission). It has no URL of its own: its media event names the page, so
 * that a match's orders (a takedown) are about the page that shows it. Its bytes go to the media topic only.
 */
async function embedInline(ctx: CrawlContext, image: InlineImage, pageUrl: string): Promise<ImageResult> {
  const { deps, tenantId, idName } = ctx;
  const name = `data:sha256:${image.sha256}`;
  const submissionId = embeddedSubmissionId(idName, name);
  await publishMedia(deps.producer, deps.mediaTopic, {
    eventName: `fetcher:media:embedded:${idName}:${name}`,
    submissionId,
    tenantId,
    url: pageUrl,
    mediaType: image.mediaType,
    bytes: image.bytes,
    at: ctx.now(),
  });
  return { outcome: PageImageOutcome.Inline, submissionId };
}

/**
 * Which of a page's images are taken, in document order: at most `max` the URL lists match (a verdict each) and at
 * most `max` others (fetched, or inline: both are scanned as media); allow-listed and unparseable ones cost nothing
 * (counted by `embedImage`). Answers the images taken and how many were left.
 */
function chooseImages(
  urlLists: FetchStepDeps['urlLists'],
  images: readonly PageImage[],
  max: number,
): { chosen: PageImage[]; left: number } {
  const chosen: PageImage[] = [];
  let listed = 0;
  let fetched = 0;
  let left = 0;
  for (const image of images) {
    if ('inline' in image) {
      if (fetched++ < max) chosen.push(image);
      else left++;
      continue;
    }
    const href = image.href;
    const normalized = normalizeUrl(href);
    const matches = normalized.ok ? listMatches(urlLists, normalized.url) : [];
    if (!normalized.ok || matches.some((x) => x.bank.negative)) chosen.push(image);
    else if (matches.length > 0 ? listed++ < max : fetched++ < max) chosen.push(image);
    else left++;
  }
  return { chosen, left };
}

/**
 * A reported page's embedded images (see `extractPageImages` and `chooseImages`): each matched against the URL lists
 * like any URL, otherwise fetched as media and submitted on its own, a few at a time; an image inlined as a `data:`
 * URI is submitted as media too (`embedInline`). Answers the submissions made,
 * in document order, for the page's own record (the report router follows them all), or the event's dead letter
 * when an image's submission is another tenant's.
 */
export async function crawlPage(
  ctx: CrawlContext,
  page: PageFetchSuccess,
): Promise<
  | { kind: 'crawled'; submissionIds: string[]; sources: Record<string, PageImageSource>; shown: number }
  | Extract<StepOutcome, { kind: 'dlq' }>
> {
  const { deps } = ctx;
  // One deadline for the whole crawl (the page's frames, then all the images), so that a page of slow frames and
  // images holds its consumer slot a bounded time; a failing image (claim raced, broker down) stops the others, so
  // nothing of this delivery runs on once the step has answered (the retry would fetch and send the same images
  // alongside, outside FETCHER_MAX_IN_FLIGHT).
  const stop = new AbortController();
  const timeoutMs = deps.pageCrawlTimeoutMs ?? DEFAULT_PAGE_CRAWL_TIMEOUT_MS;
  const deadline: CrawlDeadline = {
    signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal]),
    atMs: Date.now() + timeoutMs,
  };
  const found = extractPageImages(decodePage(page.bytes, page.contentType), page.url, {
    max: Math.max(deps.maxPageImages, MAX_PAGE_CANDIDATES),
    maxInlineBytes: deps.maxMediaBytes ?? DEFAULT_MAX_INLINE_BYTES,
    // Every frame is named (its address matched against the lists); `withFrames` fetches the first PAGE_MAX_FRAMES.
    maxFrames: MAX_PAGE_CANDIDATES,
    ...(page.refresh === undefined ? {} : { refresh: page.refresh }),
  });
  const framed = await withFrames(deps, found, page.url, deadline.signal, (signal) =>
    ctx.imageSlots.acquire(ctx.eventId, signal),
  );
  const { chosen: images, left } = chooseImages(deps.urlLists, framed.images, deps.maxPageImages);
  const count = (outcome: PageImageOutcome, n = 1) => {
    if (n > 0) deps.pageCounters.images.inc({ outcome }, n);
  };
  count(PageImageOutcome.Omitted, found.omitted + left);
  count(PageImageOutcome.BadUrl, found.refused.scheme + found.refused.credentials + found.refused['bad-url']);
  const inlineRefused =
    found.refused['inline-not-base64'] +
    found.refused['inline-bad-base64'] +
    found.refused['inline-not-image'] +
    found.refused['inline-too-large'];
  count(PageImageOutcome.InlineRefused, inlineRefused);
  const results: ImageResult[] = new Array<ImageResult>(images.length);
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    for (let i = next++; i < images.length && failures.length === 0; i = next++) {
      try {
        const image = images[i]!;
        results[i] =
          'inline' in image
            ? await embedInline(ctx, image.inline, page.url)
            : await embedImage(ctx, image.href, deadline);
      } catch (error) {
        failures.push(error);
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IMAGE_CONCURRENCY, images.length) }, worker));
  if (failures.length > 0) throw failures[0];
  const submissionIds: string[] = [];
  // Where each submission comes from in the page, by its id (the first place it stands).
  const sources: Record<string, PageImageSource> = {};
  for (const [i, r] of results.entries()) {
    if ('dlq' in r) return { kind: 'dlq', ...r.dlq };
    count(r.outcome);
    for (const id of [...(r.submissionId === null ? [] : [r.submissionId]), ...(r.also ?? [])])
      if (!Object.hasOwn(sources, id)) {
        submissionIds.push(id);
        sources[id] = images[i]!.source;
      }
  }
  deps.pageCounters.pages.inc({
    outcome: submissionIds.length > 0 ? PageOutcome.WithImages : PageOutcome.NoImages,
  });
  // Every image reference the page and its frames hold, submitted or not (beyond the cap, refused, inline or not
  // http(s)), one for each frame whose content went unseen, and one for the page's part past FETCH_MAX_PAGE_BYTES
  // (never read: a page can put what it shows below padding): its case says how many were not scanned.
  const shown = framed.images.length + unlisted(found) + framed.unlisted + (page.truncated ? 1 : 0);
  return { kind: 'crawled', submissionIds, sources, shown };
}
