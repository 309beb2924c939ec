import {
  decodePage,
  DEFAULT_MAX_INLINE_BYTES,
  extractPageImages,
  normalizeUrl,
  type InlineImage,
  type PageImages,
  type NormalizedUrl,
  type PageImageSource,
  type UrlListMatch,
} from '@mod/urls';
import type { FetchStepDeps } from './fetch-step.js';
import type { UrlBankMeta, UrlEntryData } from './url-list-sync.js';

/** The enabled URL-list entries a URL matches, with their banks. */
export function listMatches(
  urlLists: FetchStepDeps['urlLists'],
  url: NormalizedUrl,
): { match: UrlListMatch<UrlEntryData>; bank: UrlBankMeta }[] {
  return urlLists
    .index()
    .match(url)
    .flatMap((match) => {
      const bank = match.entry.data === undefined ? undefined : urlLists.bank(match.entry.data.bankId);
      return bank === undefined || !bank.enabled ? [] : [{ match, bank }];
    });
}

/** A URL a fetch was redirected to that the URL lists match, with its matches: where the fetch stopped, undialled. */
export interface ListedHop {
  url: NormalizedUrl;
  matches: ReturnType<typeof listMatches>;
}

/**
 * A fetch's `follow` that stops at the first redirect target the URL lists match (an allow list's too), as the first
 * URL was matched before the fetch: a server would otherwise redirect its own URL to a listed one and have that
 * fetched and scanned as unlisted. `listed()` says where it stopped, if it did.
 */
export function stopAtListed(urlLists: FetchStepDeps['urlLists']): {
  follow: (target: NormalizedUrl) => boolean;
  listed: () => ListedHop | null;
} {
  let listed: ListedHop | null = null;
  return {
    follow: (target) => {
      const matches = listMatches(urlLists, target);
      if (matches.length === 0) return true;
      listed = { url: target, matches };
      return false;
    },
    listed: () => listed,
  };
}

/** Pages a reported page frames that are fetched for their images by default (`PAGE_MAX_FRAMES`). */
export const DEFAULT_PAGE_MAX_FRAMES = 4;

/**
 * Image references a page's (or a frame's) images are chosen from (distinct, in document order). Matching the URL
 * lists costs no fetch, so a listed image is found however many others come first: a page could otherwise hide one
 * behind `maxPageImages` decoys.
 */
export const MAX_PAGE_CANDIDATES = 256;

/**
 * What can come of anything a reported page refers to (an embedded image, a framed page) that is not fetched, or
 * whose fetch fails: outcomes `mod_fetcher_page_images_total` and `mod_fetcher_page_frames_total` share.
 */
export const PageReferenceOutcome = {
  /** Its address is URL-listed: it joins the page's images as a listed hit (not fetched). */
  UrlListHit: 'url-list-hit',
  /** Its address is in an allow list: not fetched. */
  AllowListed: 'allow-listed',
  /** The fetch was refused (not media, blocked address or port, too large, status, time...): its content is unseen. */
  Refused: 'refused',
  /** Beyond the page's cap (`PAGE_MAX_IMAGES`, `PAGE_MAX_FRAMES`): not examined. */
  Omitted: 'omitted',
} as const;

/** What came of one framed page: the label of `mod_fetcher_page_frames_total`. */
export const PageFrameOutcome = {
  /** Fetched as an HTML page: its images join the page's. */
  Crawled: 'crawled',
  /** The frame's address is an image: it joins the page's images. */
  Media: 'media',
  ...PageReferenceOutcome,
} as const;
export type PageFrameOutcome = (typeof PageFrameOutcome)[keyof typeof PageFrameOutcome];

/** One image a page shows: by URL (matched, fetched) or inline in the markup (decoded already), and where from. */
export type PageImage = ({ href: string } | { inline: InlineImage }) & { source: PageImageSource };

/** A document's images by URL and inline ones, merged back into document order, each with its source. */
export function inDocumentOrder(found: PageImages, source?: PageImageSource): PageImage[] {
  const all: PageImage[] = [];
  let k = 0;
  const inline = (i: PageImages['inline'][number]) => all.push({ inline: i, source: source ?? i.source });
  for (const [i, href] of found.images.entries()) {
    while (k < found.inline.length && found.inline[k]!.before <= i) inline(found.inline[k++]!);
    all.push({ href, source: source ?? found.sources[i] ?? 'img' });
  }
  while (k < found.inline.length) inline(found.inline[k++]!);
  return all;
}

/** Image references of a document not among its images (beyond its bound, refused, not http(s)). */
export function unlisted(found: PageImages): number {
  const r = found.refused;
  return (
    found.omitted +
    r.scheme +
    r.credentials +
    r['bad-url'] +
    r['inline-not-base64'] +
    r['inline-bad-base64'] +
    r['inline-not-image'] +
    r['inline-too-large']
  );
}

/** What a page's frames add: the images of each (in the frame's place), and the references none lists. */
export interface FramedImages {
  /** The page's images with each frame's spliced in where the frame stands, de-duplicated (first kept). */
  images: PageImage[];
  /** Image references of the frames not in `images`, and one for each frame whose content went unseen. */
  unlisted: number;
}

/**
 * The pages `found` frames, one level deep (a frame's own frames are not followed), at most `maxPageFrames` of them
 * fetched, each through the same vetted page fetch as the page (SSRF vetting, pinned dialling, byte cap) within the
 * crawl's deadline; a frame's relative URLs resolve against the frame's own (final) URL. Every frame address `found`
 * names is matched against the URL lists first, costing no fetch (so a listed frame cannot hide behind the cap's
 * worth of decoy frames): a listed one is not fetched (a listed hit, as an image), an allow-listed one neither, and
 * neither counts towards the cap; a frame that fails is counted, not fatal.
 */
export async function withFrames(
  deps: FetchStepDeps,
  found: PageImages,
  pageUrl: string,
  signal: AbortSignal,
  /** Takes one of the fetcher's image slots (the page's share): a frame's body (up to the media bound) is held in one. */
  takeSlot: (signal: AbortSignal) => Promise<(() => void) | null>,
): Promise<FramedImages> {
  const max = deps.maxPageFrames ?? DEFAULT_PAGE_MAX_FRAMES;
  const count = (outcome: PageFrameOutcome, n = 1) => {
    if (n > 0) deps.pageCounters.frames.inc({ outcome }, n);
  };
  const frames = found.frames.filter((f) => f.url !== pageUrl);
  // Decided in document order before any fetch: the first `max` frames the lists do not settle are fetched.
  let toFetch = 0;
  const plans = frames.map(({ url }) => {
    const normalized = normalizeUrl(url);
    const matches = normalized.ok ? listMatches(deps.urlLists, normalized.url) : [];
    if (matches.some((x) => x.bank.negative)) return PageFrameOutcome.AllowListed;
    if (matches.length > 0) return PageFrameOutcome.UrlListHit;
    return toFetch++ < max ? null : PageFrameOutcome.Omitted;
  });
  const omitted = found.framesOmitted + plans.filter((p) => p === PageFrameOutcome.Omitted).length;
  count(PageFrameOutcome.Omitted, omitted);
  let unseen = omitted;
  const framed = await Promise.all(
    frames.map(async ({ url }, i): Promise<PageImage[]> => {
      const plan = plans[i];
      if (plan === PageFrameOutcome.Omitted) return [];
      if (plan === PageFrameOutcome.AllowListed) {
        count(PageFrameOutcome.AllowListed);
        return [];
      }
      if (plan === PageFrameOutcome.UrlListHit) {
        count(PageFrameOutcome.UrlListHit);
        return [{ href: url, source: 'frame' }];
      }
      // Bodies held at once stay bounded by the slots: PAGE_MAX_FRAMES frames of every page in flight, each
      // answering with a FETCH_MAX_BYTES image, would otherwise be held beside the images' own.
      const release = await takeSlot(signal);
      const hops = stopAtListed(deps.urlLists);
      try {
        const fetched =
          release === null ? null : await deps.fetcher.fetchPage(url, { signal, follow: hops.follow });
        const hop = hops.listed();
        if (hop !== null) {
          // Redirected to a listed address: as a listed frame, its own address joins the images (and stops there).
          const allowed = hop.matches.some((x) => x.bank.negative);
          count(allowed ? PageFrameOutcome.AllowListed : PageFrameOutcome.UrlListHit);
          return allowed ? [] : [{ href: url, source: 'frame' }];
        }
        if (fetched === null || !fetched.ok) {
          count(PageFrameOutcome.Refused);
          unseen++;
          return [];
        }
        if (!('kind' in fetched)) {
          // A frame of an image shows it: it is fetched again as the page's image (matched and submitted as one).
          count(PageFrameOutcome.Media);
          return [{ href: url, source: 'frame' }];
        }
        count(PageFrameOutcome.Crawled);
        const inFrame = extractPageImages(decodePage(fetched.bytes, fetched.contentType), fetched.url, {
          max: MAX_PAGE_CANDIDATES,
          maxInlineBytes: deps.maxMediaBytes ?? DEFAULT_MAX_INLINE_BYTES,
          maxFrames: 0,
          ...(fetched.refresh === undefined ? {} : { refresh: fetched.refresh }),
        });
        // Its own frames (and refresh) are never followed: each a document whose images go unseen, as the page's are;
        // so is its part past the page bound, never read.
        unseen += unlisted(inFrame) + inFrame.framesOmitted + (fetched.truncated ? 1 : 0);
        return inDocumentOrder(inFrame, 'frame');
      } finally {
        release?.();
      }
    }),
  );
  // Spliced where each frame stands; an image both the page and a frame show is taken once (its first place).
  const images: PageImage[] = [];
  const seen = new Set<string>();
  const add = (image: PageImage) => {
    const key = 'href' in image ? image.href : `data:sha256:${image.inline.sha256}`;
    if (seen.has(key)) return;
    seen.add(key);
    images.push(image);
  };
  const own = inDocumentOrder(found);
  let f = 0;
  let urlImages = 0;
  for (const image of own) {
    if ('href' in image) {
      while (f < frames.length && frames[f]!.before <= urlImages) framed[f++]!.forEach(add);
      urlImages++;
    }
    add(image);
  }
  while (f < frames.length) framed[f++]!.forEach(add);
  return { images, unlisted: unseen };
}
