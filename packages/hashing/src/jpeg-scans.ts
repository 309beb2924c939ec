import { HashingError, HashingErrorCode } from './errors.js';

/**
 * Most scans a JPEG may have. Encoders write 1 (baseline) or about 10 (libjpeg's and mozjpeg's progressive
 * scripts); each scan is one pass over every coefficient block, and one a few bytes long (an end-of-band run over
 * the whole image) costs a few milliseconds: 12000 of them in a 466 KB file of 4000×4000 kept a core busy for 26 s,
 * on past the decode's deadline, since libjpeg reads every scan before libvips' own timeout can stop it.
 */
export const MAX_JPEG_SCANS = 100;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Markers without a length: SOI, EOI, RST0..7, TEM. */
const standalone = (m: number) => m === SOI || m === EOI || (m >= 0xd0 && m <= 0xd7) || m === 0x01;

/**
 * The number of scans (SOS segments) of a JPEG, walking its segments (so bytes inside APP payloads, such as an EXIF
 * thumbnail's own markers, are skipped) and its entropy-coded data up to EOI or the end of the bytes.
 */
export function jpegScanCount(bytes: Uint8Array): number {
  let scans = 0;
  let at = 2;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) return scans; // not a marker where one must be: the decoder judges the rest
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === EOI) return scans;
    if (standalone(marker)) {
      at += 2;
      continue;
    }
    if (at + 3 >= bytes.length) return scans;
    at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
    if (marker !== SOS) continue;
    scans++;
    // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or RSTn within it; any other marker ends it.
    while (at + 1 < bytes.length) {
      if (bytes[at] === 0xff) {
        const next = bytes[at + 1]!;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
      }
      at++;
    }
  }
  return scans;
}

/** Refuses, with `MOD_ERR_HASH_TOO_MANY_SCANS`, a JPEG of more than `MAX_JPEG_SCANS` scans; returns the count. */
export function checkJpegScans(bytes: Uint8Array): number {
  const scans = jpegScanCount(bytes);
  if (scans > MAX_JPEG_SCANS)
    throw new HashingError(
      HashingErrorCode.TOO_MANY_SCANS,
      `the JPEG has ${scans} scans, above the limit of ${MAX_JPEG_SCANS}`,
    );
  return scans;
}
