import { cssImageUrls } from './css-urls.js';
import { scanTags } from './html-scan.js';
import { metaRefreshUrl } from './meta-refresh.js';
import {
  decodeInlineImage,
  InlineRefusal,
  isDataUri,
  maxDataUriLength,
  type InlineImage,
} from './inline-images.js';
import { MAX_URL_LENGTH, normalizeUrl } from './normalize.js';
import { largestSrcsetCandidate, MAX_SRCSET_LENGTH } from './srcset.js';

/** Embedded images taken from one page by default (the rest are counted, not taken). */
export const DEFAULT_MAX_PAGE_IMAGES = 16;

/**
 * Candidates examined at most (resolved and normalised); the rest count as omitted. Bounds the work a page of
 * thousands of duplicate or refused candidates makes, however few images it yields.
 */
const MAX_CANDIDATES_EXAMINED = 1024;

/**
 * Where lazy-loading scripts (lazysizes, WordPress, jQuery lazyload...) keep an image's real address while `src`
 * holds a placeholder: a browser running the page's script shows these, so a gallery page's images are here.
 */
const LAZY_SRC = ['data-src', 'data-lazy-src', 'data-original'] as const;
const LAZY_SRCSET = ['data-srcset', 'data-lazy-srcset'] as const;

/** The attributes the extractor reads: no other value is copied or decoded. */
const WANTED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'src',
  'srcset',
  ...LAZY_SRC,
  ...LAZY_SRCSET,
  'href',
  'content',
  'property',
  'name',
  'rel',
  'style',
  'srcdoc',
  'poster',
  'type',
  'data',
  'xlink:href',
  'http-equiv',
]);

/**
 * Where an image of a page comes from, for the evidence: an element's address (`img`: `<img>`, `<picture>`, the
 * lazy-loading attributes, a video's poster, an image button, SVG's `<image>`), the page's declared preview (`meta`: og:image, twitter:image, image_src), CSS (`css`:
 * a `style` attribute or `<style>` block), or a page the page frames (`frame`, the crawl's: see `frames`).
 */
export type PageImageSource = 'img' | 'meta' | 'css' | 'frame';

/**
 * Frames (`<iframe src>`, `<frame src>`, `<object data>`, `<embed src>`) a page's extraction names by default (the
 * rest are counted).
 */
export const DEFAULT_MAX_PAGE_FRAMES = 4;

/** One reference the scan found, before resolution: an image's or a frame's. */
interface RawCandidate {
  readonly value: string;
  readonly source: PageImageSource | 'frame-src';
}

/** The largest inline (`data:`) image taken by default, decoded: the media topic's default body limit. */
export const DEFAULT_MAX_INLINE_BYTES = 16 * 1024 * 1024;

/** Why a candidate image URL was not taken: a small fixed set (metrics labels). */
export const PageImageRefusal = {
  /** Not http(s) after resolution: `data:`, `javascript:`, `blob:`, `ftp:`, ... */
  Scheme: 'scheme',
  /** The URL carries a user name or password. */
  Credentials: 'credentials',
  /** Unparseable, too long, or refused by `normalizeUrl`. */
  BadUrl: 'bad-url',
  /** `data:` images not taken: not base64, bad base64, not an accepted image type, too large. */
  ...InlineRefusal,
} as const;
export type PageImageRefusal = (typeof PageImageRefusal)[keyof typeof PageImageRefusal];

/** What {@link extractPageImages} found in a page. */
export interface PageImages {
  /** Canonical (`normalizeUrl`) hrefs of the images the page shows, de-duplicated, in document order, at most `max`. */
  readonly images: readonly string[];
  /** Where each of `images` comes from (the first reference to it), index for index. */
  readonly sources: readonly PageImageSource[];
  /**
   * The images the page carries as `data:` URIs (`;base64`, of an accepted type by their magic bytes), decoded,
   * de-duplicated by SHA-256, in document order; they count towards `max` with `images`. `before`: how many of
   * `images` come before it in document order.
   */
  readonly inline: readonly (InlineImage & { readonly before: number; readonly source: PageImageSource })[];
  /**
   * The pages it frames (`<iframe src>`, `<frame src>`, `<object data>`, `<embed src>`): canonical http(s) hrefs, de-duplicated, in document order,
   * at most `maxFrames`; `before`: how many of `images` come before it. Not fetched here (see the fetcher's crawl);
   * an address that is no http(s) page (`about:blank`, `javascript:`) is passed over, not counted as refused.
   */
  readonly frames: readonly { readonly url: string; readonly before: number }[];
  /**
   * Frames beyond `maxFrames`, not named in `frames`, and frames whose document is not read: a `data:` one, one in
   * an `<iframe srcdoc>` or a `srcdoc` too long (a `srcdoc` document itself is read in place: its images are the
   * page's, source `frame`).
   */
  readonly framesOmitted: number;
  /**
   * Candidates not examined: after the `max`th image (inline ones included), or after 1,024 distinct candidates
   * (duplicates and refusable ones included).
   */
  readonly omitted: number;
  /** Candidates refused, by why. */
  readonly refused: Readonly<Record<PageImageRefusal, number>>;
}

const OG_IMAGE = new Set([
  'og:image',
  'og:image:url',
  'og:image:secure_url',
  'twitter:image',
  'twitter:image:src',
]);

/**
 * The images an HTML page shows: `<img src>` and its `srcset`'s largest candidate, `<picture><source srcset>`, the
 * addresses lazy-loading scripts keep (`data-src`, `data-lazy-src`, `data-original`, `data-srcset`, `data-lazy-srcset`),
 * `<video poster>`, `<input type=image src>`, SVG `<image href|xlink:href>`,
 * `<meta property|name="og:image"|"twitter:image" content>`, `<link rel="image_src" href>`, and CSS images (`url(...)`
 * of image-bearing properties in any element's `style` attribute and in `<style>` blocks: see `cssImageUrls`); and
 * the pages it frames (`frames`), with the page a refresh sends the browser on to (its `Refresh` header, `refresh`,
 * else its first meta refresh). Resolved against the page URL and the first `<base href>` (which applies to the
 * whole document, as in a browser); only http(s), never with credentials; canonical by `normalizeUrl`;
 * de-duplicated; the first `max` in document order. Images inlined as `data:` URIs (in markup or CSS) are decoded
 * (see `decodeInlineImage`), at most `maxInlineBytes` each. Pure and linear in the page's length (see `scanTags`:
 * each attribute and style block is copied once; each distinct `data:` URI decoded and hashed once); never throws.
 */
export function extractPageImages(
  html: string,
  pageUrl: string,
  options: { max?: number; maxInlineBytes?: number; maxFrames?: number; refresh?: string } = {},
): PageImages {
  const max = Math.max(0, Math.floor(options.max ?? DEFAULT_MAX_PAGE_IMAGES));
  const maxInlineBytes = Math.max(0, Math.floor(options.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES));
  const maxFrames = Math.max(0, Math.floor(options.maxFrames ?? DEFAULT_MAX_PAGE_FRAMES));
  const raw: RawCandidate[] = [];
  let base: string | null = null;
  let pictureDepth = 0;
  /** Inside an `<iframe srcdoc>`'s document: its images are a frame's, its own frames are not followed. */
  let inSrcdoc = false;
  /** Frames whose document goes unread: a `srcdoc` too long or within a `srcdoc`, a `data:` or nested frame. */
  let unreadFrames = 0;
  /** A document's first meta refresh is the one a browser follows. */
  let refreshed = false;
  const take = (value: string | null | undefined, source: RawCandidate['source'] = 'img') => {
    if (value === null || value === undefined) return;
    const trimmed = value.trim();
    if (trimmed === '') return;
    if (!inSrcdoc) raw.push({ value: trimmed, source });
    else if (source === 'frame-src') unreadFrames++;
    else raw.push({ value: trimmed, source: 'frame' });
  };
  const takeCss = (url: string) => take(url, 'css');
  // An inline image's URI is as long as its bytes' base64: values up to that are read (a longer one is not).
  const maxValueLength = Math.max(MAX_SRCSET_LENGTH, maxDataUriLength(maxInlineBytes));
  const visit = (tag: Parameters<Parameters<typeof scanTags>[3]>[0]): boolean => {
    if ('end' in tag) {
      if (tag.end === 'picture' && pictureDepth > 0) pictureDepth--;
      return true;
    }
    const a = tag.attributes;
    const style = a.get('style');
    // Any element's own background (a div can show an image as well as an img).
    if (typeof style === 'string') cssImageUrls(style, 'declarations', takeCss);
    switch (tag.name) {
      case 'base':
        if (base === null && !inSrcdoc && typeof a.get('href') === 'string') base = a.get('href') as string;
        break;
      case 'picture':
        pictureDepth++;
        break;
      case 'img': {
        take(a.get('src'));
        for (const name of LAZY_SRC) take(a.get(name));
        for (const name of ['srcset', ...LAZY_SRCSET]) {
          const srcset = a.get(name);
          if (typeof srcset === 'string') take(largestSrcsetCandidate(srcset));
        }
        break;
      }
      case 'source': {
        if (pictureDepth === 0) break;
        for (const name of ['srcset', ...LAZY_SRCSET]) {
          const srcset = a.get(name);
          if (typeof srcset === 'string') take(largestSrcsetCandidate(srcset));
        }
        break;
      }
      case 'meta': {
        const key = (a.get('property') ?? a.get('name') ?? '').trim().toLowerCase();
        if (OG_IMAGE.has(key)) take(a.get('content'), 'meta');
        // A refresh sends the browser on to another page (a document's first only): taken as a page it frames.
        const content = a.get('content');
        const isRefresh = (a.get('http-equiv') ?? '').trim().toLowerCase() === 'refresh';
        const target = isRefresh && typeof content === 'string' ? metaRefreshUrl(content) : null;
        if (target !== null && !(refreshed && !inSrcdoc)) {
          take(target, 'frame-src');
          if (!inSrcdoc) refreshed = true;
        }
        break;
      }
      case 'link': {
        const rel = (a.get('rel') ?? '').toLowerCase().split(/[\t\n\f\r ]+/);
        if (rel.includes('image_src')) take(a.get('href'), 'meta');
        break;
      }
      case 'style':
        if (tag.text !== undefined) cssImageUrls(tag.text, 'stylesheet', takeCss);
        break;
      // A video's poster is shown until it plays; an image button is an image.
      case 'video':
        take(a.get('poster'));
        break;
      case 'input':
        if ((a.get('type') ?? '').trim().toLowerCase() === 'image') take(a.get('src'));
        break;
      // SVG's <image> (href, or the older xlink:href); in HTML a browser reads <image src> as <img src>.
      case 'image':
        take(a.get('href') ?? a.get('xlink:href') ?? a.get('src'));
        break;
      // <object data> and <embed src> show an image or a nested document, as a frame does: the crawl tells them
      // apart by what the address serves.
      case 'object':
        take(a.get('data'), 'frame-src');
        break;
      case 'embed':
        take(a.get('src'), 'frame-src');
        break;
      case 'iframe':
      case 'frame': {
        const srcdoc = tag.name === 'iframe' ? a.get('srcdoc') : undefined;
        if (srcdoc === undefined) {
          take(a.get('src'), 'frame-src');
          break;
        }
        // A browser shows the srcdoc document (src unused), resolved against the page's base: read in place.
        if (srcdoc === null || inSrcdoc) {
          unreadFrames++;
          break;
        }
        const depth = pictureDepth;
        inSrcdoc = true;
        pictureDepth = 0;
        scanTags(srcdoc, maxValueLength, WANTED_ATTRIBUTES, visit, STYLE_TEXT);
        inSrcdoc = false;
        pictureDepth = depth;
        break;
      }
    }
    return true;
  };
  // The page's `Refresh` header (`options.refresh`) is its refresh before any meta's.
  const headerRefresh = options.refresh === undefined ? null : metaRefreshUrl(options.refresh);
  refreshed = headerRefresh !== null;
  take(headerRefresh, 'frame-src');
  scanTags(html, maxValueLength, WANTED_ATTRIBUTES, visit, STYLE_TEXT);
  const found = resolveImages(raw, pageUrl, base, { max, maxInlineBytes, maxFrames });
  return { ...found, framesOmitted: found.framesOmitted + unreadFrames };
}

const STYLE_TEXT: ReadonlySet<string> = new Set(['style']);

/** The page's base URL (its own, or a `<base href>` of http(s)), or null when the page URL does not parse. */
function baseOf(pageUrl: string, base: string | null): URL | null {
  try {
    const page = new URL(pageUrl);
    if (base === null || base.length > MAX_URL_LENGTH) return page;
    const declared = new URL(base, page);
    // A base of another scheme (data:, javascript:) cannot be a base for images the fetcher takes.
    return declared.protocol === 'http:' || declared.protocol === 'https:' ? declared : page;
  } catch {
    return null;
  }
}

/** A candidate resolved to a canonical http(s) href without credentials, or why not. */
function resolveHref(
  candidate: string,
  baseUrl: URL,
): { href: string } | { refused: 'scheme' | 'credentials' | 'bad-url' } {
  if (candidate.length > MAX_URL_LENGTH) return { refused: 'bad-url' };
  let resolved: URL;
  try {
    resolved = new URL(candidate, baseUrl);
  } catch {
    return { refused: 'bad-url' };
  }
  if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return { refused: 'scheme' };
  if (resolved.username !== '' || resolved.password !== '') return { refused: 'credentials' };
  const normalized = normalizeUrl(resolved.href);
  return normalized.ok ? { href: normalized.url.href } : { refused: 'bad-url' };
}

function resolveImages(
  raw: readonly RawCandidate[],
  pageUrl: string,
  base: string | null,
  bounds: { max: number; maxInlineBytes: number; maxFrames: number },
): PageImages {
  const { max, maxInlineBytes, maxFrames } = bounds;
  const refused = Object.fromEntries(Object.values(PageImageRefusal).map((r) => [r, 0])) as Record<
    PageImageRefusal,
    number
  >;
  const baseUrl = baseOf(pageUrl, base);
  if (baseUrl === null)
    return { images: [], sources: [], inline: [], frames: [], framesOmitted: 0, omitted: 0, refused };
  const images: string[] = [];
  const sources: PageImageSource[] = [];
  const inline: (InlineImage & { before: number; source: PageImageSource })[] = [];
  const frames: { url: string; before: number }[] = [];
  const seen = new Set<string>();
  const framesSeen = new Set<string>();
  let framesOmitted = 0;
  let omitted = 0;
  const examined = new Set<string>();
  let full = false;
  for (const { value: candidate, source } of raw) {
    if (source === 'frame-src') {
      // A frame is a page, not an image: it neither counts towards `max` nor is refused as one.
      // A data: document is shown but not read here; frames past the bound are not named: both unseen, counted.
      if (framesSeen.size >= MAX_CANDIDATES_EXAMINED || isDataUri(candidate)) {
        framesOmitted++;
        continue;
      }
      const frame = resolveHref(candidate, baseUrl);
      if ('refused' in frame || framesSeen.has(frame.href)) continue;
      const href = frame.href;
      framesSeen.add(href);
      if (frames.length < maxFrames) frames.push({ url: href, before: images.length });
      else framesOmitted++;
      continue;
    }
    // Once full, every later image reference is omitted (frames after it are still named).
    if (full) {
      omitted++;
      continue;
    }
    // The same text resolves the same way: examined once.
    if (examined.has(candidate)) continue;
    if (images.length + inline.length >= max || examined.size >= MAX_CANDIDATES_EXAMINED) {
      full = true;
      omitted++;
      continue;
    }
    examined.add(candidate);
    // An image in the markup itself (an absolute URL: no base applies). A page could inline a known image this way.
    if (isDataUri(candidate)) {
      const decoded = decodeInlineImage(candidate, maxInlineBytes);
      if (!decoded.ok) refused[decoded.refusal]++;
      else if (!seen.has(`data:sha256:${decoded.image.sha256}`)) {
        seen.add(`data:sha256:${decoded.image.sha256}`);
        inline.push({ ...decoded.image, before: images.length, source });
      }
      continue;
    }
    const resolved = resolveHref(candidate, baseUrl);
    if ('refused' in resolved) {
      refused[resolved.refused]++;
      continue;
    }
    const href = resolved.href;
    if (seen.has(href)) continue;
    seen.add(href);
    images.push(href);
    sources.push(source);
  }
  return { images, sources, inline, frames, framesOmitted, omitted, refused };
}
