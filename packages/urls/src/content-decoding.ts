import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

/** Content codings a body may carry at once (`gzip, br`): a longer list is refused, not decoded. */
const MAX_CODINGS = 2;

const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  zstd: () => zlib.createZstdDecompress(),
};

/**
 * The decoders a body's `Content-Encoding` asks for, in the order the body goes through them (the last coding
 * applied first), as a browser decodes it whatever `Accept-Encoding` said; none for an absent header or `identity`;
 * null for a coding no browser knows, or more than two. Callers bound what comes out: a few kilobytes of gzip or
 * brotli can inflate to gigabytes.
 */
export function contentDecoders(header: string | undefined): Transform[] | null {
  if (header === undefined) return [];
  const codings = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > MAX_CODINGS || codings.some((coding) => !Object.hasOwn(DECODERS, coding))) return null;
  return codings.reverse().map((coding) => DECODERS[coding]!());
}
