import { createSafeFetcher, type SafeFetcherOptions } from '@mod/urls/fetch';
import type { BodyFetcher } from './verifier.js';

/**
 * The production body fetcher for verification: the SSRF-safe fetcher (own DNS resolution, private and
 * metadata addresses refused, address pinned, bounded size and time). The URL is asked for as an image is (`Accept:
 * image/*`), and an SVG document or an HTML page is an answer too, read within the page bound: either may show the
 * content itself (`picturesIn` in verifier.ts). Any other non-media body no longer serves the content; refusals and
 * network failures are thrown, so the verifier reports `unknown` and neither verifies nor reopens the order.
 */
export function createSafeBodyFetcher(options: SafeFetcherOptions = {}): BodyFetcher {
  const fetcher = createSafeFetcher(options);
  return async (url) => {
    const image = await fetcher.fetchPage(url, { image: true });
    // Asked for as an image, an HTML page is no answer: it is asked for again as a page.
    const out = !image.ok && image.reason === 'not-media' ? await fetcher.fetchPage(url) : image;
    if (out.ok) return { status: out.status, body: out.bytes };
    if (out.reason === 'http-status' && out.status !== undefined)
      return { status: out.status, body: Buffer.alloc(0) };
    if (out.reason === 'not-media') return { status: 200, body: Buffer.from(`not media: ${out.detail}`) };
    throw new Error(`${out.reason}: ${out.detail}`);
  };
}
