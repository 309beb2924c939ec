import { defaultAddressPolicy, parseIpv6 } from './address-policy.js';
import { checkHost, systemResolver } from './host-check.js';
import { UrlError, UrlErrorCode } from './errors.js';
import {
  FetchRefusal,
  type FetchFailure,
  type FetchOptions,
  type FetchOutcome,
  type PageFetchOutcome,
  type PostOutcome,
  type PostRequest,
  type SafeFetcher,
  type SafeFetcherOptions,
  type SafePoster,
} from './fetcher-types.js';
import { abortReason, requestHop, type Hop, type HopSettings, type Send } from './hop.js';
import { HostLimiter } from './host-limiter.js';
import { normalizeUrl, type NormalizedUrl } from './normalize.js';

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

/** The refusal of an input that is not a URL the fetcher takes (nothing was fetched). */
function notAUrl(input: string, detail: string): FetchFailure {
  return { ok: false, reason: FetchRefusal.BadUrl, detail, url: input, redirects: [] };
}

/**
 * The ports browsers refuse to fetch from (the Fetch standard's "bad ports": SMTP, SSH, IRC, SIP, LDAP, NFS...).
 * No web page, image or webhook is served there, and an HTTP request to one is a way to talk to a mail or chat
 * server on a public host through us: a hostile page's images, a reported URL or a redirect can name any port.
 */
const BAD_PORTS: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * The key of an address's slots: the IPv4 address, or an IPv6 address's /64 (one site's network: whoever has one
 * address of it has them all, so keying on the address would let a tarpit take as many slots as it likes).
 */
function addressKey(address: string, family: 4 | 6): string {
  const bytes = family === 6 ? parseIpv6(address) : null;
  return bytes === null ? address : `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64`;
}

/**
 * Creates the SSRF-safe fetcher. It resolves names itself and refuses the whole name if any address is
 * refused by the policy, dials the vetted address only (Host header and TLS SNI keep the name), follows
 * redirects itself re-normalising and re-vetting every hop, and bounds bytes, time and per-host concurrency.
 * Fetched bodies are accepted only when their magic bytes say image; `fetchPage` also answers with an HTML page
 * (its Content-Type says so, whatever its bytes, as a browser reads it), at most `maxPageBytes` of it. `post` sends one
 * request the same way, without following redirects.
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
  const maxPageBytes = positiveInt('maxPageBytes', options.maxPageBytes, 2 * 1024 * 1024);
  if (maxPerHost < 1) throw new UrlError(UrlErrorCode.FetcherOptions, 'maxConcurrentPerHost must be >= 1');
  const userAgent = options.userAgent ?? 'mod-fetcher/1';
  const limiter = new HostLimiter(maxPerHost);
  // The same bound per address: a wildcard zone's countless names on one server share its slots.
  const addressLimiter = new HostLimiter(maxPerHost);
  const hopSettings: HopSettings = {
    userAgent,
    maxBytes,
    connectTimeoutMs,
    beforeConnect: options.beforeConnect,
    tlsTrustedCa: options.tlsTrustedCa,
  };

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

  /** A slot of `key` in `slots`, or why none was had (`whenHostBusy`, or the deadline while waiting). */
  async function slot(
    slots: HostLimiter,
    key: string,
    signal: AbortSignal,
    whenBusy: FetchOptions['whenHostBusy'],
  ): Promise<(() => void) | { reason: FetchRefusal; detail: string }> {
    const release = await slots.acquire(key, signal, whenBusy === 'refuse' ? maxPerHost : Infinity);
    if (release === 'busy')
      return { reason: FetchRefusal.HostBusy, detail: `${key}: every slot taken, ${maxPerHost} waiting` };
    return release ?? { reason: abortReason(signal), detail: `waiting for a ${key} slot` };
  }

  /**
   * One request to `url` while holding a slot of its host and one of the address vetting allowed, sent to that
   * address: the hop, or why none was made (no slot, a refused or unresolvable address).
   */
  async function vettedHop(
    url: NormalizedUrl,
    signal: AbortSignal,
    send: Send,
    whenBusy: FetchOptions['whenHostBusy'],
  ): Promise<Hop | { reason: FetchRefusal; detail: string }> {
    if (url.port !== null && BAD_PORTS.has(url.port))
      return { reason: FetchRefusal.BlockedAddress, detail: `port ${url.port} is one browsers refuse` };
    const release = await slot(limiter, url.host, signal, whenBusy);
    if (typeof release !== 'function') return release;
    try {
      const vetted = await vet(url, signal);
      if ('reason' in vetted) return vetted;
      const releaseAddress = await slot(
        addressLimiter,
        addressKey(vetted.address, vetted.family),
        signal,
        whenBusy,
      );
      if (typeof releaseAddress !== 'function') return releaseAddress;
      try {
        return await requestHop(hopSettings, url, vetted.address, vetted.family, signal, send);
      } finally {
        releaseAddress();
      }
    } finally {
      release();
    }
  }

  async function run(
    input: string,
    signal: AbortSignal,
    { follow, whenHostBusy }: FetchOptions,
    page?: { readonly maxBytes: number; readonly image?: boolean },
  ): Promise<PageFetchOutcome> {
    const first = normalizeUrl(input);
    if (!first.ok) return notAUrl(input, first.error.message);
    let url = first.url;
    const redirects: string[] = [];
    for (;;) {
      const fail = (reason: FetchRefusal, detail: string, status?: number): FetchFailure =>
        status === undefined
          ? { ok: false, reason, detail, url: url.href, redirects }
          : { ok: false, reason, detail, url: url.href, redirects, status };
      const hop = await vettedHop(
        url,
        signal,
        page === undefined ? { method: 'GET' } : { method: 'GET', page },
        whenHostBusy,
      );
      if (!('kind' in hop)) return fail(hop.reason, hop.detail);
      if (hop.kind === 'refused')
        return hop.retryAfterMs === undefined
          ? fail(hop.reason, hop.detail, hop.status)
          : { ...fail(hop.reason, hop.detail, hop.status), retryAfterMs: hop.retryAfterMs };
      if (hop.kind === 'answer') return fail(FetchRefusal.ConnectionFailed, 'unexpected answer');
      if (hop.kind === 'body') {
        const { address, status, mediaType, contentType, bytes } = hop;
        return { ok: true, url: url.href, redirects, address, status, mediaType, contentType, bytes };
      }
      if (hop.kind === 'page') {
        const { address, status, contentType, bytes, truncated, refresh } = hop;
        return {
          ok: true,
          kind: 'page',
          url: url.href,
          redirects,
          address,
          status,
          contentType,
          bytes,
          truncated,
          ...(refresh === undefined ? {} : { refresh }),
        };
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
      if (follow !== undefined && !follow(next.url))
        return {
          ok: false,
          reason: FetchRefusal.RedirectRefused,
          detail: `redirect to ${next.url.href} not followed`,
          url: next.url.href,
          redirects,
        };
      url = next.url;
    }
  }

  async function runPost(input: string, signal: AbortSignal, request: PostRequest): Promise<PostOutcome> {
    const normalized = normalizeUrl(input);
    if (!normalized.ok) return notAUrl(input, normalized.error.message);
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
    const hop = await vettedHop(
      url,
      signal,
      { method: 'POST', body, headers: request.headers ?? {}, maxResponseBytes },
      'wait',
    );
    if (!('kind' in hop)) return fail(hop.reason, hop.detail);
    if (hop.kind === 'refused')
      return hop.status === undefined
        ? fail(hop.reason, hop.detail)
        : { ...fail(hop.reason, hop.detail), status: hop.status };
    if (hop.kind !== 'answer') return fail(FetchRefusal.ConnectionFailed, 'unexpected answer');
    const { address, status, bytes, truncated } = hop;
    return { ok: true, url: url.href, address, status, bytes, truncated };
  }

  /** Runs `work` under a deadline and the caller's signal, and counts its outcome. */
  async function bounded<T extends PageFetchOutcome | PostOutcome>(
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
      options.countOutcome?.(outcome.ok ? ('kind' in outcome ? 'page' : 'ok') : outcome.reason);
      return outcome;
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
    }
  }

  return {
    fetch: (input, fetchOptions = {}) =>
      bounded(
        timeoutMs,
        fetchOptions.signal,
        (signal) => run(input, signal, fetchOptions) as Promise<FetchOutcome>,
      ),
    fetchPage: (input, pageOptions = {}) =>
      bounded(timeoutMs, pageOptions.signal, (signal) =>
        run(input, signal, pageOptions, {
          maxBytes: positiveInt('maxPageBytes', pageOptions.maxPageBytes, maxPageBytes),
          ...(pageOptions.image === true ? { image: true } : {}),
        }),
      ),
    post: (input, request) =>
      bounded(positiveInt('timeoutMs', request.timeoutMs, timeoutMs), request.signal, (signal) =>
        runPost(input, signal, request),
      ),
  };
}
