import { createSafeFetcher, type SafeFetcherOptions } from '@mod/urls/fetch';
import type { BodyFetcher } from './verifier.js';

/**
 * The production body fetcher for verification: the SSRF-safe fetcher (own DNS resolution, private and
 * metadata addresses refused, address pinned, bounded size and time). A removed page answering with a
 * non-media body (an HTML notice) no longer serves the content; refusals and network failures are thrown, so
 * the verifier reports `unknown` and neither verifies nor reopens the order.
 */
export function createSafeBodyFetcher(options: SafeFetcherOptions = {}): BodyFetcher {
  const fetcher = createSafeFetcher(options);
  return async (url) => {
    const out = await fetcher.fetch(url);
    if (out.ok) return { status: out.status, body: out.bytes };
    if (out.reason === 'http-status' && out.status !== undefined)
      return { status: out.status, body: Buffer.alloc(0) };
    if (out.reason === 'not-media') return { status: 200, body: Buffer.from(`not media: ${out.detail}`) };
    throw new Error(`${out.reason}: ${out.detail}`);
  };
}
