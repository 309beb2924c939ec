/**
 * Format detection from magic bytes only: the file name and any declared content type are ignored, because
 * both are attacker-controlled. Only raster formats that the decoder handles safely are allowed; SVG, PDF and
 * other vector/document formats (external references, scripts) are refused before any decoder sees them.
 */

import { AVIF_BRANDS, ftypMajorBrand, imageSignature, type ImageSignature } from '@mod/contracts';

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

/** The formats with a fixed signature that the decoder takes (a BMP is refused). */
const SIGNED_FORMATS: Partial<Record<ImageSignature, ImageFormat>> = {
  jpeg: ImageFormat.JPEG,
  png: ImageFormat.PNG,
  gif: ImageFormat.GIF,
  webp: ImageFormat.WEBP,
  tiff: ImageFormat.TIFF,
};

/** HEIF major brands the decoder takes. */
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);

/** The allowed format whose signature `bytes` starts with, or `null`. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const signed = imageSignature(bytes);
  const format = signed === null ? undefined : SIGNED_FORMATS[signed];
  if (format !== undefined) return format;
  const brand = ftypMajorBrand(bytes);
  if (brand === null) return null;
  if (AVIF_BRANDS.has(brand)) return ImageFormat.AVIF;
  if (HEIF_BRANDS.has(brand)) return ImageFormat.HEIF;
  return null;
}
