import type { AddressPolicy } from './address-policy.js';
import type { Resolver } from './host-check.js';
import type { NormalizedUrl } from './normalize.js';
import type { MediaType } from './sniff.js';

/** Why a fetch was refused. Each is a typed outcome (never an exception) and a metrics label. */
export const FetchRefusal = {
  /** Input or a redirect target is not an http(s) URL. */
  BadUrl: 'bad-url',
  /** The name resolved (or the literal was) to an address the policy refuses: loopback, private, metadata... */
  BlockedAddress: 'blocked-address',
  /** The name did not resolve. */
  DnsFailure: 'dns-failure',
  /** More redirects than `maxRedirects`, or a redirect without a Location. */
  TooManyRedirects: 'too-many-redirects',
  /** Content-Length or the bytes received exceeded `maxBytes` (or a POST body exceeded `maxRequestBytes`). */
  TooLarge: 'too-large',
  /** `connectTimeoutMs` or `timeoutMs` elapsed. */
  Timeout: 'timeout',
  /** The body's magic bytes are not an accepted image type. */
  NotMedia: 'not-media',
  /** A status other than 2xx or a followed 3xx. */
  HttpStatus: 'http-status',
  /** TCP/TLS failure, reset, or a body cut short. */
  ConnectionFailed: 'connection-failed',
  /** The caller's AbortSignal fired. */
  Aborted: 'aborted',
  /** The caller's `follow` refused a redirect's target (not dialled); the failure's `url` is that target. */
  RedirectRefused: 'redirect-refused',
  /**
   * Asked with `whenHostBusy: 'refuse'`: the host's (name's or address's) slots were all taken and as many fetches
   * already waited for one. Nothing was sent to it; trying again later may succeed.
   */
  HostBusy: 'host-busy',
} as const;
export type FetchRefusal = (typeof FetchRefusal)[keyof typeof FetchRefusal];

/** Metrics label of an outcome: `ok` (media), `page` (page mode's HTML) or the refusal reason (a small fixed set). */
export type FetchOutcomeLabel = 'ok' | 'page' | FetchRefusal;

/** A fetched image. `bytes` is the whole body; `mediaType` comes from magic bytes, not from headers. */
export interface FetchSuccess {
  readonly ok: true;
  /** Canonical URL the body came from (after redirects). */
  readonly url: string;
  /** Canonical URLs of every hop before the last, in order. */
  readonly redirects: readonly string[];
  /** The vetted IP address the body was read from. */
  readonly address: string;
  readonly status: number;
  readonly mediaType: MediaType;
  readonly contentType: string | null;
  readonly bytes: Buffer;
}

/** A refused fetch. `url` is the hop that failed (or the raw input for `bad-url`). */
export interface FetchFailure {
  readonly ok: false;
  readonly reason: FetchRefusal;
  readonly detail: string;
  readonly url: string;
  readonly redirects: readonly string[];
  /** HTTP status, for `http-status`. */
  readonly status?: number;
  /** A 429's or 503's `Retry-After`, in milliseconds from when it was read (see `fetchWithRetries`). */
  readonly retryAfterMs?: number;
}

export type FetchOutcome = FetchSuccess | FetchFailure;

/** An HTML page ({@link SafeFetcher.fetchPage}): at most `maxPageBytes` of its body, never decoded or parsed. */
export interface PageFetchSuccess {
  readonly ok: true;
  readonly kind: 'page';
  /** Canonical URL the page came from (after redirects): what its relative URLs resolve against. */
  readonly url: string;
  readonly redirects: readonly string[];
  readonly address: string;
  readonly status: number;
  /** The Content-Type header (`text/html` or `application/xhtml+xml`, with its parameters: the charset). */
  readonly contentType: string;
  readonly bytes: Buffer;
  /** Whether the page was cut at `maxPageBytes` (the rest was not read). */
  readonly truncated: boolean;
  /** Its `Refresh` header, which sends a browser on as a meta refresh does (see `extractPageImages`), if any. */
  readonly refresh?: string;
}

/** Page mode's outcome: media (as `fetch` answers), an HTML page, or a refusal. */
export type PageFetchOutcome = FetchOutcome | PageFetchSuccess;

export type { Resolver } from './host-check.js';

/**
 * The answer to a POST ({@link SafeFetcher.post}): whatever the status, redirects included (never followed).
 * `bytes` holds at most `maxResponseBytes` of the body; `truncated` says whether more was sent.
 */
export interface PostSuccess {
  readonly ok: true;
  readonly url: string;
  /** The vetted IP address the request was sent to. */
  readonly address: string;
  readonly status: number;
  readonly bytes: Buffer;
  readonly truncated: boolean;
}

export type PostOutcome = PostSuccess | FetchFailure;

/** A small POST through the fetcher (webhooks): body, headers, and per-call bounds. */
export interface PostRequest {
  readonly body: string | Buffer;
  /**
   * Sent as given, except the ones the fetcher owns: `host`, `content-length`, `transfer-encoding`,
   * `connection`, `accept-encoding`, `user-agent`.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Response body bytes kept (the rest is not read). Default 64 KiB. */
  readonly maxResponseBytes?: number;
  /** The whole request, in milliseconds. Default: the fetcher's `timeoutMs`. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What is about to be dialled; see {@link SafeFetcherOptions.beforeConnect}. */
export interface ConnectTarget {
  readonly hostname: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
}

/** Options of {@link createSafeFetcher}; every bound has a safe default. */
export interface SafeFetcherOptions {
  /** Default: the system resolver (`dns.lookup`, all addresses). */
  readonly resolver?: Resolver;
  /** Default {@link defaultAddressPolicy}. Override in tests only, to treat one loopback alias as public. */
  readonly addressPolicy?: AddressPolicy;
  /** Redirects followed before giving up. Default 5. */
  readonly maxRedirects?: number;
  /** Largest body accepted, in bytes. Default 20 MiB. */
  readonly maxBytes?: number;
  /** Whole fetch (queueing, DNS, every hop, body), in milliseconds. Default 15,000. */
  readonly timeoutMs?: number;
  /** TCP connect of one hop, in milliseconds. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Concurrent requests to one host name, and to one address (an IPv6 address's /64): more wait (within
   * `timeoutMs`, or see {@link FetchOptions.whenHostBusy}). Per address too, because the names of a wildcard DNS
   * zone are countless and may all point at one slow server (a tarpit). Default 2.
   */
  readonly maxConcurrentPerHost?: number;
  /** Largest POST body sent, in bytes. Default 1 MiB. */
  readonly maxRequestBytes?: number;
  /** Largest part of an HTML page read in page mode, in bytes (the rest is left unread). Default 2 MiB. */
  readonly maxPageBytes?: number;
  /** Default `mod-fetcher/1`. */
  readonly userAgent?: string;
  /**
   * PEM certificate(s) that REPLACE the default trust store for https. Tests only (a local TLS server with a
   * self-signed certificate); leave unset in production.
   */
  readonly tlsTrustedCa?: string | Buffer;
  /** Called once per fetch with its outcome label; the caller maps it to a counter. */
  readonly countOutcome?: (label: FetchOutcomeLabel) => void;
  /**
   * Called with the vetted address right before dialling. Throwing refuses the hop as `blocked-address`.
   * Lets tests prove that nothing but loopback is ever dialled, even if the policy under test were wrong.
   */
  readonly beforeConnect?: (target: ConnectTarget) => void;
}

/** What one fetch is given beyond its URL. */
export interface FetchOptions {
  readonly signal?: AbortSignal;
  /**
   * Asked about each redirect's target, canonical, before it is vetted or dialled: false ends the fetch there as
   * `redirect-refused`, with the target as the failure's `url`. Whoever matched the first URL against its URL lists
   * matches each target here: a server's redirect is otherwise a way to have a listed URL fetched as an unlisted one.
   */
  readonly follow?: (target: NormalizedUrl) => boolean;
  /**
   * When the host's slots (its name's or its address's) are all taken and as many fetches already wait for one:
   * `wait` (the default) queues this fetch too, within its deadline; `refuse` answers `host-busy` at once. A caller
   * that holds a slot of its own while it waits (an event of a consumer's in-flight window) refuses, so that one
   * slow host holds at most twice its slots of that window, never all of it.
   */
  readonly whenHostBusy?: 'wait' | 'refuse';
}

/** Fetches media behind observed URLs without becoming a proxy into private networks. */
export interface SafeFetcher {
  /** Never rejects: every refusal is a {@link FetchFailure}. */
  fetch(url: string, options?: FetchOptions): Promise<FetchOutcome>;
  /**
   * Page mode: the same fetch (vetting, redirects, deadline, per-host slots), where an HTML page is an answer too
   * (its Content-Type is `text/html` or `application/xhtml+xml`, whatever its bytes as a browser reads it; image
   * magic bytes win whatever the header says). At most `maxPageBytes` of a page is read. With `image`, the address
   * is an `<img>`'s: images are asked for (`Accept: image/*`, as a browser asks, so a host that shows a viewer page
   * to a visit still sends the image) and only an SVG document is a page. Never rejects.
   */
  fetchPage(
    url: string,
    options?: FetchOptions & { readonly maxPageBytes?: number; readonly image?: boolean },
  ): Promise<PageFetchOutcome>;
}

/** Posts to endpoints callers name (webhooks) without becoming a proxy into private networks. */
export interface SafePoster {
  /**
   * POSTs a small body to `url` with the same vetting as `fetch` (resolve, refuse any non-public address, dial
   * the vetted address only), and answers with the status whatever it is. Redirects are returned, never
   * followed. Never rejects (but throws a `UrlError` for out-of-range bounds): refusals and network failures
   * are a {@link FetchFailure}.
   */
  post(url: string, request: PostRequest): Promise<PostOutcome>;
}
