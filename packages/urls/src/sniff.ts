import { AVIF_BRANDS, ftypBrands, imageSignature, type ImageSignature } from '@mod/contracts';

/** Media types the fetcher accepts, identified by magic bytes (never by the server's Content-Type). */
export const MediaType = {
  Jpeg: 'image/jpeg',
  Png: 'image/png',
  Gif: 'image/gif',
  Webp: 'image/webp',
  Bmp: 'image/bmp',
  Tiff: 'image/tiff',
  Avif: 'image/avif',
  Heic: 'image/heic',
} as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** Bytes {@link sniffMedia} needs to decide (an ISO-BMFF `ftyp` box may list brands beyond the first 16). */
export const SNIFF_BYTES = 64;

/** The media type of each fixed signature (the fetcher accepts them all). */
const SIGNED_TYPES: Readonly<Record<ImageSignature, MediaType>> = {
  jpeg: MediaType.Jpeg,
  png: MediaType.Png,
  gif: MediaType.Gif,
  webp: MediaType.Webp,
  tiff: MediaType.Tiff,
  bmp: MediaType.Bmp,
};

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/** Brand of an ISO-BMFF file: AVIF if any brand in the `ftyp` box says so, else HEIC/HEIF, else null. */
function isoBrand(bytes: Uint8Array): MediaType | null {
  const brands = ftypBrands(bytes);
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return MediaType.Avif;
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return MediaType.Heic;
  return null;
}

/**
 * Identifies an image by its first bytes (pass at least {@link SNIFF_BYTES} when available), or null when it
 * is not one of the accepted media types. Pure; never throws.
 */
export function sniffMedia(bytes: Uint8Array): MediaType | null {
  const signed = imageSignature(bytes);
  return signed === null ? isoBrand(bytes) : SIGNED_TYPES[signed];
}

/** Content types of an HTML page (the fetcher's page mode reads those only). */
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** Whether a Content-Type header names an HTML page (`text/html` or `application/xhtml+xml`, any parameters). */
export function isHtmlContentType(contentType: string | null | undefined): boolean {
  if (contentType === null || contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  return HTML_TYPES.has(
    (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase(),
  );
}

/** MIME Sniffing's HTML signatures: each, in any case, after white space and before a space or `>`. */
const HTML_SIGNATURES = [
  '<!doctype html',
  '<html',
  '<head',
  '<script',
  '<iframe',
  '<h1',
  '<div',
  '<font',
  '<table',
  '<a',
  '<style',
  '<title',
  '<b',
  '<body',
  '<br',
  '<p',
  '<!--',
];

/**
 * Whether a Content-Type names an SVG image (`image/svg+xml`): a document, which page mode answers as a page (an
 * `<img>` of one shows the raster images it inlines; one opened on its own loads others too).
 */
export function isSvgContentType(contentType: string | null | undefined): boolean {
  const semicolon = contentType?.indexOf(';') ?? -1;
  const essence = semicolon === -1 ? contentType : contentType?.slice(0, semicolon);
  return essence?.trim().toLowerCase() === 'image/svg+xml';
}

/**
 * Whether a body sent without a Content-Type starts as a browser sniffs HTML (MIME Sniffing's rules for an unknown
 * type): after white space, one of its HTML signatures, in any case, then a space or `>`. Pure; never throws.
 */
export function sniffsAsHtml(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && [0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(bytes[i]!)) i++;
  return HTML_SIGNATURES.some((signature) => {
    const end = i + signature.length;
    if (end >= bytes.length || (bytes[end] !== 0x20 && bytes[end] !== 0x3e)) return false;
    for (let k = 0; k < signature.length; k++) {
      const byte = bytes[i + k]!;
      const lower = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
      if (lower !== signature.charCodeAt(k)) return false;
    }
    return true;
  });
}
