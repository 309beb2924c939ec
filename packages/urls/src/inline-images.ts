import { createHash } from 'node:crypto';
import { sniffMedia, type MediaType } from './sniff.js';

/** An image a page carries in its markup as a `data:` URI: the decoded bytes, identified by their magic bytes. */
export interface InlineImage {
  readonly bytes: Buffer;
  /** Lower-case hex SHA-256 of `bytes`: what inline images are de-duplicated by and their ids derive from. */
  readonly sha256: string;
  /** Sniffed from `bytes` (the type the URI declares is not trusted). */
  readonly mediaType: MediaType;
}

/** Why a `data:` image was not taken: a small fixed set (metrics labels). */
export const InlineRefusal = {
  /** Not `;base64` (percent-encoded text: SVG and the like, no image the pipeline scans). */
  NotBase64: 'inline-not-base64',
  /** Not valid base64 (a character outside the alphabet, a length no base64 has). */
  BadBase64: 'inline-bad-base64',
  /** The bytes are not an image type the pipeline accepts (SVG, text, HTML...), whatever the URI declares. */
  NotImage: 'inline-not-image',
  /** More bytes than the media size limit. */
  TooLarge: 'inline-too-large',
} as const;
export type InlineRefusal = (typeof InlineRefusal)[keyof typeof InlineRefusal];

/** A candidate URL that is a `data:` URI (ASCII case-insensitive, tabs and newlines ignored, as the URL parser does). */
export function isDataUri(candidate: string): boolean {
  let scheme = '';
  for (let i = 0; i < candidate.length && scheme.length < 5; i++) {
    const c = candidate[i]!;
    if (c !== '\t' && c !== '\n' && c !== '\r') scheme += c.toLowerCase();
  }
  return scheme === 'data:';
}

/** The encoded length of a `data:` URI whose bytes may be `maxBytes` (room for a media type and white space). */
export const maxDataUriLength = (maxBytes: number): number => Math.ceil(maxBytes / 3) * 8 + 1024;

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*$/;

/**
 * Decodes a `data:` URI as the Fetch standard's data: URL processor does for `;base64` (tabs and newlines removed,
 * the body percent-decoded, then forgiving-base64: ASCII white space removed, at most two `=` of padding, any other
 * character or a length of 4n+1 refused), and sniffs the bytes: only an accepted image type is taken, whatever the
 * URI declares (a browser sniffs an image too). Linear in the URI's length; never throws.
 */
export function decodeInlineImage(
  candidate: string,
  maxBytes: number,
): { ok: true; image: InlineImage } | { ok: false; refusal: InlineRefusal } {
  const uri = candidate.replace(/[\t\n\r]/g, '');
  const comma = uri.indexOf(',');
  if (comma === -1) return { ok: false, refusal: InlineRefusal.NotBase64 };
  // "data:" then the media type and its parameters; base64 when the last parameter is (spaces allowed) "base64".
  const header = uri.slice(5, comma).trim();
  if (!/;[ ]*base64$/i.test(header)) return { ok: false, refusal: InlineRefusal.NotBase64 };
  let body = uri.slice(comma + 1);
  if (body.indexOf('%') !== -1)
    body = body.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  body = body.replace(/[\t\n\f\r ]/g, '');
  if (body.length % 4 === 0) body = body.replace(/={1,2}$/, '');
  if (body.length % 4 === 1 || !BASE64_ALPHABET.test(body))
    return { ok: false, refusal: InlineRefusal.BadBase64 };
  // Three bytes per four characters, without decoding what would be refused anyway.
  if (Math.floor((body.length * 3) / 4) > maxBytes) return { ok: false, refusal: InlineRefusal.TooLarge };
  const bytes = Buffer.from(body, 'base64');
  const mediaType = sniffMedia(bytes);
  if (mediaType === null) return { ok: false, refusal: InlineRefusal.NotImage };
  return {
    ok: true,
    image: { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), mediaType },
  };
}
