/**
 * Image signatures: the magic bytes a raster image starts with, one table for the sniffers of `@mod/hashing`
 * (what the decoder may see) and `@mod/urls` (what the fetcher accepts). Each sniffer accepts its own formats
 * among them; neither trusts a file name or a declared content type. Pure; never throws.
 */

/** Formats known by a fixed signature at the start of the file (ISO-BMFF ones go by their `ftyp` box's brands). */
export const ImageSignature = {
  Jpeg: 'jpeg',
  Png: 'png',
  Gif: 'gif',
  Webp: 'webp',
  Tiff: 'tiff',
  Bmp: 'bmp',
} as const;
export type ImageSignature = (typeof ImageSignature)[keyof typeof ImageSignature];

/** Brands of an ISO-BMFF `ftyp` box that say AVIF. */
export const AVIF_BRANDS: ReadonlySet<string> = new Set(['avif', 'avis']);

/** The `length` bytes at `offset` as Latin-1 text, or '' when `bytes` ends before them. */
function asciiAt(bytes: Uint8Array, offset: number, length: number): string {
  if (offset + length > bytes.length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  if (bytes.length < signature.length) return false;
  return signature.every((byte, i) => bytes[i] === byte);
}

/** DIB header sizes of the BMP versions in use ("BM" alone is too weak: text may start "BM"). */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function isBmp(bytes: Uint8Array): boolean {
  if (asciiAt(bytes, 0, 2) !== 'BM' || bytes.length < 18) return false;
  const dibSize = (bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24)) >>> 0;
  return BMP_DIB_SIZES.has(dibSize);
}

/** Each format's test of a file's first bytes, in the order they are tried. */
const SIGNATURES: readonly (readonly [ImageSignature, (bytes: Uint8Array) => boolean])[] = [
  [ImageSignature.Jpeg, (bytes) => startsWith(bytes, [0xff, 0xd8, 0xff])],
  [ImageSignature.Png, (bytes) => startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  [ImageSignature.Gif, (bytes) => ['GIF87a', 'GIF89a'].includes(asciiAt(bytes, 0, 6))],
  [ImageSignature.Webp, (bytes) => asciiAt(bytes, 0, 4) === 'RIFF' && asciiAt(bytes, 8, 4) === 'WEBP'],
  [
    ImageSignature.Tiff,
    (bytes) => startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]),
  ],
  [ImageSignature.Bmp, isBmp],
];

/** The format whose fixed signature `bytes` starts with, or `null` (ISO-BMFF files included). */
export function imageSignature(bytes: Uint8Array): ImageSignature | null {
  for (const [format, matches] of SIGNATURES) if (matches(bytes)) return format;
  return null;
}

/** The major brand of an ISO-BMFF file (AVIF, HEIF), or `null` when `bytes` has no `ftyp` box. */
export function ftypMajorBrand(bytes: Uint8Array): string | null {
  return asciiAt(bytes, 4, 4) === 'ftyp' ? asciiAt(bytes, 8, 4) : null;
}

/**
 * The brands of an ISO-BMFF file's `ftyp` box: the major brand, then the compatible brands within the box and
 * `bytes`; none when `bytes` has no `ftyp` box or its size is too small for one.
 */
export function ftypBrands(bytes: Uint8Array): string[] {
  const major = ftypMajorBrand(bytes);
  if (major === null) return [];
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (boxSize < 16) return [];
  const brands = [major];
  for (let offset = 16; offset + 4 <= Math.min(boxSize, bytes.length); offset += 4) {
    brands.push(asciiAt(bytes, offset, 4));
  }
  return brands;
}
