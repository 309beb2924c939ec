import { maxMediaBytesSetting } from '@mod/bootstrap';
import { commonSpec, deadLettersSpec, env, partnerTopicsSpec } from '@mod/config';

/** Fetcher settings, validated once at start-up. Fetch bounds default to the SSRF-safe fetcher's own. */
export const fetcherSpec = {
  ...commonSpec,
  ...partnerTopicsSpec,
  ...deadLettersSpec,
  FETCHER_GROUP_ID: env.string({ default: 'mod-fetcher', doc: 'Kafka consumer group of the fetchers' }),
  FETCHER_MAX_IN_FLIGHT: env.integer({
    default: 8,
    min: 1,
    max: 256,
    doc: 'observed URLs processed at once per partition',
  }),
  FETCH_TIMEOUT_MS: env.integer({
    default: 15_000,
    min: 100,
    max: 300_000,
    doc: 'whole fetch (DNS, redirects, body), milliseconds',
  }),
  FETCH_CONNECT_TIMEOUT_MS: env.integer({ default: 5_000, min: 100, max: 60_000, doc: 'TCP connect, ms' }),
  FETCH_MAX_BYTES: maxMediaBytesSetting(
    'largest media body fetched, bytes (keep at or below the scanner MAX_MEDIA_BYTES; 16 MiB fits one event)',
    { max: 16 * 1024 * 1024 },
  ),
  FETCH_MAX_PAGE_BYTES: env.integer({
    default: 2 * 1024 * 1024,
    min: 1024,
    max: 8 * 1024 * 1024,
    doc: 'largest part of a reported HTML page read for its embedded images, bytes (the rest is left unread)',
  }),
  PAGE_MAX_IMAGES: env.integer({
    default: 16,
    min: 0,
    max: 64,
    doc: 'embedded images of a reported page taken: this many URL-listed ones and this many fetched (the first of each, in document order)',
  }),
  PAGE_MAX_FRAMES: env.integer({
    default: 4,
    min: 0,
    max: 16,
    doc: "pages a reported page frames (iframe, frame) fetched for their images, one level deep (a frame's frames are not followed), their images counted in PAGE_MAX_IMAGES; 0 turns it off",
  }),
  PAGE_CRAWL_TIMEOUT_MS: env.integer({
    default: 30_000,
    min: 100,
    max: 300_000,
    doc: "all of a reported page's frame and image fetches, milliseconds (bounds how long one page holds a consumer slot)",
  }),
  PAGE_IMAGE_RETRIES: env.integer({
    default: 2,
    min: 0,
    max: 5,
    doc: "times a reported page's fetch, and each of its images', is tried again after a transient failure (timeout, connection failure, HTTP 408, 429, 5xx), within PAGE_CRAWL_TIMEOUT_MS; 0 turns retrying off",
  }),
  PAGE_IMAGE_RETRY_BASE_MS: env.integer({
    default: 500,
    min: 1,
    max: 10_000,
    doc: 'wait before the first retry of an image fetch, milliseconds; doubled for each next one, jittered in [d/2, d)',
  }),
  PAGE_IMAGE_RETRY_MAX_MS: env.integer({
    default: 5_000,
    min: 1,
    max: 60_000,
    doc: "longest wait before an image fetch's retry, and longest Retry-After honoured (a host asking for more is not retried), milliseconds",
  }),
  FETCH_MAX_REDIRECTS: env.integer({ default: 5, min: 0, max: 20, doc: 'redirects followed' }),
  FETCH_MAX_PER_HOST: env.integer({
    default: 2,
    min: 1,
    max: 64,
    doc: 'concurrent fetches per host name, and per address (an IPv6 /64); a traffic sample that finds the slots of either taken and as many waiting is refused as host-busy (forgotten, fetched at its next observation)',
  }),
  FETCH_ALL_URLS: env.boolean({
    default: false,
    doc: 'fetch every observed URL; otherwise only URLs that look like media (image content type or extension)',
  }),
  SEEN_TTL_MS: env.milliseconds({
    default: 6 * 60 * 60 * 1000,
    min: 1,
    doc: "a URL an ISP observed and the fetcher handled is not handled again for that ISP within this time, milliseconds (each ISP's observations are remembered apart)",
  }),
  SEEN_REFUSED_TTL_MS: env.milliseconds({
    default: 5 * 60 * 1000,
    min: 1,
    doc: 'a URL whose fetch was refused (an HTTP error such as 404, not media, too large, a blocked address) is not fetched again for that ISP within this time, milliseconds; doubled for each refusal in a row, up to SEEN_REFUSED_MAX_TTL_MS (content not live yet, or a host refusing the first fetch on purpose, must not keep it unfetched for SEEN_TTL_MS)',
  }),
  SEEN_REFUSED_MAX_TTL_MS: env.milliseconds({
    default: 60 * 60 * 1000,
    min: 1,
    doc: 'the longest a run of refused fetches keeps a URL from being fetched again, milliseconds (never more than SEEN_TTL_MS)',
  }),
  SEEN_MAX_ENTRIES: env.integer({
    default: 1_000_000,
    min: 1,
    doc: 'recently seen URLs remembered (bounds memory)',
  }),
} as const;
