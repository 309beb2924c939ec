import { createHash } from 'node:crypto';
import type { StoredPerceptualHash } from '@mod/db/orders';
import { sniffImageFormat, type PerceptualHashes } from '@mod/hashing';
import { matchPicture } from './picture-match.js';
import { urlSha256 } from '@mod/urls';

/**
 * Checks whether content an order named is still served. The actioner depends only on this interface; the
 * SSRF-safe fetcher of `@mod/urls` is the intended production implementation (wire it in the service),
 * tests use a loopback server.
 */
export interface Verifier {
  verify(target: { orderId: string; url: string; contentSha256: string | null }): Promise<VerificationResult>;
}

/**
 * gone: the URL answers 404/410 (or the like); changed: it serves something else (no longer matches);
 * present: it still serves the same content; unknown: it could not be checked now (try again later).
 */
export type VerificationResult = { outcome: 'gone' | 'changed' | 'present' | 'unknown'; detail: string };

/**
 * The SHA-256 of the content an order's URL served when it was found, which verification compares the re-fetched
 * body with: a content-hash subject's; else the evidence's digest when it is a content's. A URL list's hit has no
 * content: its verdict's digest is the listed URL's (`urlListVerdict` in the fetcher; its hits name `url:` entries),
 * and so is a reported page's a person confirmed (the fetcher's record of a URL that is no media), which no body
 * ever hashes to: taken for the content's, every answer was "changed" and verified the order while the URL still
 * served. Null then, as for an order by hand: a URL that still answers 2xx is present.
 */
export function contentDigestOf(
  order: { subject: { type: string; value: string }; verifyUrl: string },
  evidence: unknown,
): string | null {
  if (order.subject.type === 'content-hash') return order.subject.value;
  const ev = (evidence ?? {}) as { sha256?: unknown; hits?: unknown };
  if (typeof ev.sha256 !== 'string') return null;
  const hits: unknown[] = Array.isArray(ev.hits) ? ev.hits : [];
  const urlListHit = hits.some((h) => {
    const entryId = (h as { entryId?: unknown } | null)?.entryId;
    return typeof entryId === 'string' && entryId.startsWith('url:');
  });
  const urlDigest = [order.subject.value, order.verifyUrl].some((u) => urlSha256(u) === ev.sha256);
  return urlListHit || urlDigest ? null : ev.sha256;
}

/** The perceptual hashes of a re-fetched image: frame 0's, and those of an animation's later frames hashed. */
export type ServedHashes = PerceptualHashes & { frames?: readonly (PerceptualHashes & { index: number })[] };

/** Fetches a URL's body: the seam where an SSRF-safe fetcher plugs in. */
export type BodyFetcher = (url: string) => Promise<{ status: number; body: Buffer }>;

/**
 * What tells a re-fetched image for the content an order named: the content's stored PDQ and blockhash (the
 * scanner's, `orderPerceptualHashes`) and the perceptual hashes of an image's frames computed the scanner's way
 * with its dihedral and trimmed PDQs (`createVerificationHasher`: `@mod/hashing`'s worker pool, within decode
 * limits), which rejects with a `HashingError` when it cannot hash it.
 */
export interface PerceptualCheck {
  stored(orderId: string): Promise<readonly StoredPerceptualHash[]>;
  /** Frame 0's hashes, with an animation's later distinct frames' (`frames`, as the scanner selects them). */
  hash(bytes: Uint8Array): Promise<ServedHashes>;
}

/**
 * A verifier over any body fetcher: 404, 410 and 451 mean gone; 2xx with the original SHA-256 means present, with
 * other bytes changed, unless they are an image the matcher would take for the content's stored hashes
 * (`matchPicture`: PDQ within `PDQ_MATCH_DISTANCE`, mirrored, rotated or its borders trimmed, or blockhash within
 * the matcher's radius): the same picture still served (re-encoded, re-saved, its metadata edited, a byte appended,
 * mirrored, turned, letterboxed), present too. Other statuses and errors mean unknown, so a flaky host neither verifies nor reopens an order; so
 * does an image that cannot be hashed now (refused by the decode limits, its worker crashed): whether it is the same
 * picture is not known. Without `perceptual`, or with no PDQ stored for the order, exact digests only.
 */
export function createFetchVerifier(fetchBody: BodyFetcher, perceptual?: PerceptualCheck): Verifier {
  return {
    async verify(t) {
      let res: { status: number; body: Buffer };
      try {
        res = await fetchBody(t.url);
      } catch (err) {
        return { outcome: 'unknown', detail: `fetch failed: ${(err as Error).message}`.slice(0, 300) };
      }
      if (res.status === 404 || res.status === 410 || res.status === 451)
        return { outcome: 'gone', detail: `HTTP ${res.status}` };
      if (res.status < 200 || res.status >= 300) return { outcome: 'unknown', detail: `HTTP ${res.status}` };
      const sha256 = sha256Of(res.body);
      if (t.contentSha256 !== null && sha256 !== t.contentSha256)
        return (
          (await samePicture(t.orderId, picturesIn(res.body), perceptual, t.contentSha256)) ?? {
            outcome: 'changed',
            detail: `serves other content (sha256 ${sha256})`,
          }
        );
      return { outcome: 'present', detail: `HTTP ${res.status}, same content still served` };
    },
  };
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Pictures of one served document looked at at most: an SVG or a page may hold many. */
const MAX_EMBEDDED_PICTURES = 16;
/** An image written into a document (an SVG's `<image href>`, a page's `<img src>`, CSS) as a base64 data: URI. */
const DATA_IMAGE = /data:image\/[a-z0-9.+-]+(?:;[^,;"'<>\s]*)*?;base64,([a-z0-9+/\s]+={0,2})/gi;

/**
 * The pictures a served body shows: itself when it is an image, else every one written into it as a base64 data: URI
 * (an SVG or an HTML page at the URL shows them as the image itself was shown); no more bytes than the body's, which
 * the fetcher bounds. `samePicture` compares each one's bytes, and the first `MAX_EMBEDDED_PICTURES` as pictures.
 */
function picturesIn(body: Buffer): Buffer[] {
  if (sniffImageFormat(body) !== null) return [body];
  const pictures: Buffer[] = [];
  for (const m of body.toString('latin1').matchAll(DATA_IMAGE)) {
    // A browser reads base64 whatever ASCII whitespace it is broken by (lines, as an SVG writer breaks them).
    const picture = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    if (sniffImageFormat(picture) !== null) pictures.push(picture);
  }
  return pictures;
}

/**
 * Present when one of `pictures` (`picturesIn`) is the content's bytes (`contentSha256`: written into a document) or
 * an image the matcher would take for the content's stored hashes (`matchPicture`); unknown when one that is not
 * cannot be hashed, or more than `MAX_EMBEDDED_PICTURES` were written into the document (those past them are compared
 * by their bytes only); null otherwise (no image, no hash stored, other pictures).
 */
async function samePicture(
  orderId: string,
  pictures: readonly Buffer[],
  perceptual: PerceptualCheck | undefined,
  contentSha256: string,
): Promise<VerificationResult | null> {
  if (pictures.some((p) => sha256Of(p) === contentSha256))
    return { outcome: 'present', detail: 'same content still served, written into the document served' };
  if (perceptual === undefined || pictures.length === 0) return null;
  const stored = await perceptual.stored(orderId);
  if (stored.length === 0) return null;
  let unhashed: VerificationResult | null = null;
  // More pictures than are hashed (decoys first, the content after them): whether one is the content is not known.
  if (pictures.length > MAX_EMBEDDED_PICTURES)
    unhashed = {
      outcome: 'unknown',
      detail: `${pictures.length} pictures written into the document served, the first ${MAX_EMBEDDED_PICTURES} compared`,
    };
  for (const picture of pictures.slice(0, MAX_EMBEDDED_PICTURES)) {
    let served: ServedHashes;
    try {
      served = await perceptual.hash(picture);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const detail = `image not hashed (${typeof code === 'string' ? code : 'error'}): ${(err as Error).message}`;
      unhashed ??= { outcome: 'unknown', detail: detail.slice(0, 300) };
      continue;
    }
    // Any frame of an animation the scanner would have hashed: a match on one is the content still served.
    for (const frame of [{ ...served, index: 0 }, ...(served.frames ?? [])]) {
      const match = matchPicture(stored, frame);
      if (match === null) continue;
      const at = frame.index === 0 ? '' : `, frame ${frame.index}`;
      return {
        outcome: 'present',
        detail: `same picture still served (${match.signal} ${match.via}${at}, distance ${match.distance}, at most ${match.within}; other bytes)`,
      };
    }
  }
  return unhashed;
}
