/**
 * Format detection from magic bytes only: the file name and any declared content type are ignored, because
 * both are attacker-controlled. Only raster formats that the decoder handles safely are allowed; SVG, PDF and
 * other vector/document formats (external references, scripts) are refused before any decoder sees them.
 */

export const ImageFormat = {
  JPEG: 'jpeg',
  PNG: 'png',
  GIF: 'gif',
  WEBP: 'webp',
  TIFF: 'tiff',
  AVIF: 'avif',
  HEIF: 'heif',
} as const;

export type ImageFormat = (typeof ImageFormat)[keyof typeof ImageFormat];

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** The allowed format whose signature `bytes` starts with, or `null`. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return ImageFormat.JPEG;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return ImageFormat.PNG;
  const gif = ascii(bytes, 0, 6);
  if (gif === 'GIF87a' || gif === 'GIF89a') return ImageFormat.GIF;
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return ImageFormat.WEBP;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return ImageFormat.TIFF;
  }
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return ImageFormat.AVIF;
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return ImageFormat.HEIF;
  }
  return null;
}
