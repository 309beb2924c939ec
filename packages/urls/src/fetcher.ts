import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { defaultAddressPolicy, parseIpv6, type AddressPolicy } from './address-policy.js';
import { checkHost, systemResolver, type Resolver } from './host-check.js';
import { UrlError, UrlErrorCode } from './errors.js';
import { HostType, normalizeUrl, type NormalizedUrl } from './normalize.js';
import { SNIFF_BYTES, sniffMedia, type MediaType } from './sniff.js';

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
} as const;
export type FetchRefusal = (typeof FetchRefusal)[keyof typeof FetchRefusal];

/** Metrics label of an outcome: `ok` or the refusal reason (a small fixed set). */
export type FetchOutcomeLabel = 'ok' | FetchRefusal;

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
}

export type FetchOutcome = FetchSuccess | FetchFailure;

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
  /** Concurrent requests to one host; more wait (within `timeoutMs`). Default 2. */
  readonly maxConcurrentPerHost?: number;
  /** Largest POST body sent, in bytes. Default 1 MiB. */
  readonly maxRequestBytes?: number;
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

/** Fetches media behind observed URLs without becoming a proxy into private networks. */
export interface SafeFetcher {
  /** Never rejects: every refusal is a {@link FetchFailure}. */
  fetch(url: string, options?: { readonly signal?: AbortSignal }): Promise<FetchOutcome>;
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

/** Request headers a POST caller may not set: the fetcher owns framing, the Host it dials and what it accepts. */
const OWNED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'accept-encoding',
  'user-agent',
]);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 0) {
    throw new UrlError(
      UrlErrorCode.FetcherOptions,
      `${name} must be a non-negative integer, got ${String(value)}`,
    );
  }
  return result;
}

/** Per-host semaphore; waiters leave the queue when their signal aborts. */
class HostLimiter {
  readonly #max: number;
  readonly #hosts = new Map<string, { active: number; waiters: Array<() => void> }>();

  constructor(max: number) {
    this.#max = max;
  }

  async acquire(host: string, signal: AbortSignal): Promise<(() => void) | null> {
    let slot = this.#hosts.get(host);
    if (slot === undefined) {
      slot = { active: 0, waiters: [] };
      this.#hosts.set(host, slot);
    }
    const state = slot;
    if (state.active >= this.#max) {
      const granted = await new Promise<boolean>((resolve) => {
        if (signal.aborted) return resolve(false);
        const waiter = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        const onAbort = (): void => {
          state.waiters.splice(state.waiters.indexOf(waiter), 1);
          resolve(false);
        };
        state.waiters.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!granted) {
        this.#cleanup(host, state);
        return null;
      }
    } else {
      state.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = state.waiters.shift();
      // A slot handed straight to a waiter keeps `active` unchanged.
      if (next !== undefined) next();
      else {
        state.active--;
        this.#cleanup(host, state);
      }
    };
  }

  #cleanup(host: string, state: { active: number; waiters: unknown[] }): void {
    if (state.active === 0 && state.waiters.length === 0) this.#hosts.delete(host);
  }
}

/** What one hop sends: a media GET, or a POST whose answer is read only up to `maxResponseBytes`. */
type Send =
  | { readonly method: 'GET' }
  | {
      readonly method: 'POST';
      readonly body: Buffer;
      readonly headers: Readonly<Record<string, string>>;
      readonly maxResponseBytes: number;
    };

type Hop =
  | { readonly kind: 'redirect'; readonly location: string; readonly status: number }
  | {
      readonly kind: 'answer';
      readonly address: string;
      readonly status: number;
      readonly bytes: Buffer;
      readonly truncated: boolean;
    }
  | {
      readonly kind: 'body';
      readonly address: string;
      readonly status: number;
      readonly mediaType: MediaType;
      readonly contentType: string | null;
      readonly bytes: Buffer;
    }
  | {
      readonly kind: 'refused';
      readonly reason: FetchRefusal;
      readonly detail: string;
      readonly status?: number;
    };

function sameAddress(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  if (a === b) return true;
  const x = parseIpv6(a);
  const y = parseIpv6(b);
  return x !== null && y !== null && x.every((byte, i) => byte === y[i]);
}

/** A `lookup` that answers with the vetted address only, whatever DNS says now (no rebinding window). */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

/**
 * Creates the SSRF-safe fetcher. It resolves names itself and refuses the whole name if any address is
 * refused by the policy, dials the vetted address only (Host header and TLS SNI keep the name), follows
 * redirects itself re-normalising and re-vetting every hop, and bounds bytes, time and per-host concurrency.
 * Fetched bodies are accepted only when their magic bytes say image. `post` sends one request the same way,
 * without following redirects.
 */
export function createSafeFetcher(options: SafeFetcherOptions = {}): SafeFetcher & SafePoster {
  const resolver = options.resolver ?? systemResolver;
  const policy = options.addressPolicy ?? defaultAddressPolicy;
  const maxRedirects = positiveInt('maxRedirects', options.maxRedirects, 5);
  const maxBytes = positiveInt('maxBytes', options.maxBytes, 20 * 1024 * 1024);
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 15_000);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs, 5_000);
  const maxPerHost = positiveInt('maxConcurrentPerHost', options.maxConcurrentPerHost, 2);
  const maxRequestBytes = positiveInt('maxRequestBytes', options.maxRequestBytes, 1024 * 1024);
  if (maxPerHost < 1) throw new UrlError(UrlErrorCode.FetcherOptions, 'maxConcurrentPerHost must be >= 1');
  const userAgent = options.userAgent ?? 'mod-fetcher/1';
  const limiter = new HostLimiter(maxPerHost);

  const abortReason = (signal: AbortSignal): FetchRefusal =>
    signal.reason === FetchRefusal.Timeout ? FetchRefusal.Timeout : FetchRefusal.Aborted;

  async function vet(
    url: NormalizedUrl,
    signal: AbortSignal,
  ): Promise<{ address: string; family: 4 | 6 } | { reason: FetchRefusal; detail: string }> {
    // IP literals are vetted without DNS; names resolve within the fetch's own deadline (the signal).
    const checked = await checkHost(url.host, { resolver, addressPolicy: policy, timeoutMs: 0, signal });
    if (checked.ok) return { address: checked.address, family: checked.family };
    if (checked.reason === 'aborted' || checked.reason === 'timeout')
      return { reason: signal.aborted ? abortReason(signal) : FetchRefusal.Timeout, detail: checked.detail };
    return {
      reason: checked.reason === 'dns-failure' ? FetchRefusal.DnsFailure : FetchRefusal.BlockedAddress,
      detail: checked.detail,
    };
  }

  function requestHop(
    url: NormalizedUrl,
    address: string,
    family: 4 | 6,
    signal: AbortSignal,
    send: Send,
  ): Promise<Hop> {
    return new Promise<Hop>((resolve) => {
      const secure = url.scheme === 'https';
      const port = url.port ?? (secure ? 443 : 80);
      const hostname = url.hostType === HostType.Ipv6 ? url.host.slice(1, -1) : url.host;
      let settled = false;
      const chunks: Buffer[] = [];
      let received = 0;
      let sniffed: MediaType | null = null;

      const finish = (hop: Hop): void => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        req.destroy();
        resolve(hop);
      };
      const refuse = (reason: FetchRefusal, detail: string, status?: number): void =>
        finish(
          status === undefined
            ? { kind: 'refused', reason, detail }
            : { kind: 'refused', reason, detail, status },
        );

      try {
        options.beforeConnect?.({ hostname, address, family, port });
      } catch (cause) {
        resolve({
          kind: 'refused',
          reason: FetchRefusal.BlockedAddress,
          detail: `beforeConnect refused ${address}: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
        return;
      }

      const host = url.port === null ? url.host : `${url.host}:${url.port}`;
      const headers: Record<string, string> =
        send.method === 'GET'
          ? { host, 'user-agent': userAgent, accept: 'image/*', 'accept-encoding': 'identity' }
          : {
              ...Object.fromEntries(
                Object.entries(send.headers).filter(([name]) => !OWNED_HEADERS.has(name.toLowerCase())),
              ),
              host,
              'user-agent': userAgent,
              'content-length': String(send.body.length),
              'accept-encoding': 'identity',
            };
      const requestOptions: https.RequestOptions = {
        protocol: secure ? 'https:' : 'http:',
        hostname,
        port,
        path: url.query === '' ? url.path : `${url.path}?${url.query}`,
        method: send.method,
        headers,
        agent: false,
        lookup: pinnedLookup(address, family),
        signal,
      };
      if (secure && url.hostType === HostType.Domain) requestOptions.servername = hostname;
      if (secure && options.tlsTrustedCa !== undefined) requestOptions.ca = options.tlsTrustedCa;
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request(requestOptions);
      } catch (cause) {
        // e.g. a header value Node refuses (control characters): nothing was sent.
        resolve({
          kind: 'refused',
          reason: FetchRefusal.BadUrl,
          detail: `request refused before sending: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
        return;
      }

      const connectTimer = setTimeout(
        () => refuse(FetchRefusal.Timeout, `connect took over ${connectTimeoutMs} ms`),
        connectTimeoutMs,
      );
      req.on('socket', (socket: Socket) => {
        socket.once('connect', () => {
          clearTimeout(connectTimer);
          // Belt and braces: the socket must be on the address we vetted.
          if (!sameAddress(socket.remoteAddress, address)) {
            refuse(
              FetchRefusal.BlockedAddress,
              `connected to ${String(socket.remoteAddress)}, vetted ${address}`,
            );
          }
        });
      });
      /** A stream that breaks is a refusal: the abort's own reason when the fetch was aborted. */
      const refuseOnError = (what: string) => (error: Error) => {
        if (signal.aborted) refuse(abortReason(signal), `${what} aborted`);
        else refuse(FetchRefusal.ConnectionFailed, error.message);
      };
      const refuseWhenCutShort = (res: IncomingMessage, what: string) => {
        res.on('error', refuseOnError(what));
        res.on('aborted', () => refuseOnError(what)(new Error(`${what} cut short`)));
      };
      req.on('error', refuseOnError('request'));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (send.method === 'POST') {
          // Any status is the answer; the body is read only up to the bound (then the request is dropped).
          res.on('data', (chunk: Buffer) => {
            if (settled) return;
            const room = send.maxResponseBytes - received;
            if (chunk.length > room) {
              chunks.push(chunk.subarray(0, room));
              finish({ kind: 'answer', address, status, bytes: Buffer.concat(chunks), truncated: true });
              return;
            }
            received += chunk.length;
            chunks.push(chunk);
          });
          res.on('end', () =>
            finish({ kind: 'answer', address, status, bytes: Buffer.concat(chunks), truncated: false }),
          );
          refuseWhenCutShort(res, 'answer');
          return;
        }
        if (REDIRECT_STATUSES.has(status)) {
          const location = res.headers.location;
          if (location === undefined || location === '') {
            refuse(FetchRefusal.HttpStatus, `${status} without Location`, status);
          } else {
            finish({ kind: 'redirect', location, status });
          }
          return;
        }
        if (status < 200 || status > 299) {
          refuse(FetchRefusal.HttpStatus, `status ${status}`, status);
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          refuse(FetchRefusal.TooLarge, `Content-Length ${declared} > ${maxBytes}`);
          return;
        }
        const contentType = res.headers['content-type'] ?? null;
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          received += chunk.length;
          if (received > maxBytes) {
            refuse(FetchRefusal.TooLarge, `body over ${maxBytes} bytes`);
            return;
          }
          chunks.push(chunk);
          if (sniffed === null && received >= SNIFF_BYTES) {
            sniffed = sniffMedia(Buffer.concat(chunks));
            // Stop reading as soon as the start says it is not an image.
            if (sniffed === null) refuse(FetchRefusal.NotMedia, 'magic bytes are not an accepted image type');
          }
        });
        res.on('end', () => {
          if (settled) return;
          const bytes = Buffer.concat(chunks);
          const mediaType = sniffed ?? sniffMedia(bytes);
          if (mediaType === null) refuse(FetchRefusal.NotMedia, 'magic bytes are not an accepted image type');
          else finish({ kind: 'body', address, status, mediaType, contentType, bytes });
        });
        refuseWhenCutShort(res, 'body');
      });
      if (send.method === 'POST') req.end(send.body);
      else req.end();
    });
  }

  async function run(input: string, signal: AbortSignal): Promise<FetchOutcome> {
    const first = normalizeUrl(input);
    if (!first.ok)
      return {
        ok: false,
        reason: FetchRefusal.BadUrl,
        detail: first.error.message,
        url: input,
        redirects: [],
      };
    let url = first.url;
    const redirects: string[] = [];
    for (;;) {
      const fail = (reason: FetchRefusal, detail: string, status?: number): FetchFailure =>
        status === undefined
          ? { ok: false, reason, detail, url: url.href, redirects }
          : { ok: false, reason, detail, url: url.href, redirects, status };
      const release = await limiter.acquire(url.host, signal);
      if (release === null) return fail(abortReason(signal), `waiting for a ${url.host} slot`);
      let hop: Hop;
      try {
        const vetted = await vet(url, signal);
        if ('reason' in vetted) return fail(vetted.reason, vetted.detail);
        hop = await requestHop(url, vetted.address, vetted.family, signal, { method: 'GET' });
      } finally {
        release();
      }
      if (hop.kind === 'refused') return fail(hop.reason, hop.detail, hop.status);
      if (hop.kind === 'answer') return fail(FetchRefusal.ConnectionFailed, 'unexpected answer');
      if (hop.kind === 'body') {
        const { address, status, mediaType, contentType, bytes } = hop;
        return { ok: true, url: url.href, redirects, address, status, mediaType, contentType, bytes };
      }
      if (redirects.length >= maxRedirects)
        return fail(FetchRefusal.TooManyRedirects, `more than ${maxRedirects} redirects`);
      let target: string;
      try {
        target = new URL(hop.location, url.href).href;
      } catch {
        return fail(FetchRefusal.BadUrl, `redirect to unparseable Location`);
      }
      const next = normalizeUrl(target);
      if (!next.ok) return fail(FetchRefusal.BadUrl, `redirect target: ${next.error.message}`);
      redirects.push(url.href);
      url = next.url;
    }
  }

  async function runPost(input: string, signal: AbortSignal, request: PostRequest): Promise<PostOutcome> {
    const normalized = normalizeUrl(input);
    if (!normalized.ok)
      return {
        ok: false,
        reason: FetchRefusal.BadUrl,
        detail: normalized.error.message,
        url: input,
        redirects: [],
      };
    const url = normalized.url;
    const fail = (reason: FetchRefusal, detail: string): FetchFailure => ({
      ok: false,
      reason,
      detail,
      url: url.href,
      redirects: [],
    });
    const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
    if (body.length > maxRequestBytes)
      return fail(FetchRefusal.TooLarge, `request body ${body.length} > ${maxRequestBytes} bytes`);
    const maxResponseBytes = positiveInt('maxResponseBytes', request.maxResponseBytes, 64 * 1024);
    const release = await limiter.acquire(url.host, signal);
    if (release === null) return fail(abortReason(signal), `waiting for a ${url.host} slot`);
    let hop: Hop;
    try {
      const vetted = await vet(url, signal);
      if ('reason' in vetted) return fail(vetted.reason, vetted.detail);
      hop = await requestHop(url, vetted.address, vetted.family, signal, {
        method: 'POST',
        body,
        headers: request.headers ?? {},
        maxResponseBytes,
      });
    } finally {
      release();
    }
    if (hop.kind === 'refused')
      return hop.status === undefined
        ? fail(hop.reason, hop.detail)
        : { ...fail(hop.reason, hop.detail), status: hop.status };
    if (hop.kind !== 'answer') return fail(FetchRefusal.ConnectionFailed, 'unexpected answer');
    const { address, status, bytes, truncated } = hop;
    return { ok: true, url: url.href, address, status, bytes, truncated };
  }

  /** Runs `work` under a deadline and the caller's signal, and counts its outcome. */
  async function bounded<T extends FetchOutcome | PostOutcome>(
    deadlineMs: number,
    external: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(FetchRefusal.Timeout), deadlineMs);
    const onExternalAbort = (): void => controller.abort(FetchRefusal.Aborted);
    if (external?.aborted === true) onExternalAbort();
    else external?.addEventListener('abort', onExternalAbort, { once: true });
    try {
      const outcome = await work(controller.signal);
      options.countOutcome?.(outcome.ok ? 'ok' : outcome.reason);
      return outcome;
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
    }
  }

  return {
    fetch: (input, fetchOptions = {}) =>
      bounded(timeoutMs, fetchOptions.signal, (signal) => run(input, signal)),
    post: (input, request) =>
      bounded(positiveInt('timeoutMs', request.timeoutMs, timeoutMs), request.signal, (signal) =>
        runPost(input, signal, request),
      ),
  };
}
