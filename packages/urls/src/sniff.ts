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

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (offset + length > bytes.length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

/** Brand of an ISO-BMFF file: AVIF if any brand in the `ftyp` box says so, else HEIC/HEIF, else null. */
function isoBrand(bytes: Uint8Array): MediaType | null {
  if (ascii(bytes, 4, 4) !== 'ftyp') return null;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (boxSize < 16) return null;
  const brands = [ascii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= Math.min(boxSize, bytes.length); offset += 4)
    brands.push(ascii(bytes, offset, 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return MediaType.Avif;
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return MediaType.Heic;
  return null;
}

/**
 * Identifies an image by its first bytes (pass at least {@link SNIFF_BYTES} when available), or null when it
 * is not one of the accepted media types. Pure; never throws.
 */
export function sniffMedia(bytes: Uint8Array): MediaType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return MediaType.Jpeg;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return MediaType.Png;
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return MediaType.Gif;
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return MediaType.Webp;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return MediaType.Tiff;
  // "BM" alone is too weak (text starting "BM"): also require a known DIB header size at offset 14.
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 18) {
    const dibSize = (bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24)) >>> 0;
    if (BMP_DIB_SIZES.has(dibSize)) return MediaType.Bmp;
  }
  return isoBrand(bytes);
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

/**
 * Whether a body's start reads as markup: after an optional UTF-8 byte order mark and white space, a `<`. With
 * the Content-Type, what the fetcher's page mode asks of a page (a binary or a script served as text/html is not
 * one). Pure; never throws.
 */
export function looksLikeMarkup(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x0c)
  )
    i++;
  return bytes[i] === 0x3c;
}
