import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { Readable, Transform } from 'node:stream';
import { parseIpv6 } from './address-policy.js';
import { contentDecoders } from './content-decoding.js';
import { parseRetryAfterMs } from './fetch-retry.js';
import {
  FetchRefusal,
  type FetchSuccess,
  type PageFetchSuccess,
  type SafeFetcherOptions,
} from './fetcher-types.js';
import { HostType, type NormalizedUrl } from './normalize.js';
import {
  SNIFF_BYTES,
  isHtmlContentType,
  isSvgContentType,
  sniffMedia,
  sniffsAsHtml,
  type MediaType,
} from './sniff.js';

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

/**
 * What one hop sends: a media GET (with `page`, an HTML page is an answer too: at most `page.maxBytes` of it), or
 * a POST whose answer is read only up to `maxResponseBytes`.
 */
export type Send =
  | {
      readonly method: 'GET';
      /** Page mode; `image`: for an `<img>`'s address, asking for images, where only an SVG document is a page. */
      readonly page?: { readonly maxBytes: number; readonly image?: boolean };
    }
  | {
      readonly method: 'POST';
      readonly body: Buffer;
      readonly headers: Readonly<Record<string, string>>;
      readonly maxResponseBytes: number;
    };

export type Hop =
  | { readonly kind: 'redirect'; readonly location: string; readonly status: number }
  | {
      readonly kind: 'answer';
      readonly address: string;
      readonly status: number;
      readonly bytes: Buffer;
      readonly truncated: boolean;
    }
  // A media body and a page as the fetcher answers them, less what the whole fetch adds (its URL, redirects).
  | ({ readonly kind: 'body' } & Omit<FetchSuccess, 'ok' | 'url' | 'redirects'>)
  | Omit<PageFetchSuccess, 'ok' | 'url' | 'redirects'>
  | {
      readonly kind: 'refused';
      readonly reason: FetchRefusal;
      readonly detail: string;
      readonly status?: number;
      /** The `Retry-After` of a 429 or 503, in milliseconds from when it was read. */
      readonly retryAfterMs?: number;
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

/** What a hop needs of the fetcher's settings. */
export interface HopSettings extends Pick<SafeFetcherOptions, 'beforeConnect' | 'tlsTrustedCa'> {
  readonly userAgent: string;
  readonly maxBytes: number;
  readonly connectTimeoutMs: number;
}

/** The refusal of a fetch whose signal aborted: its deadline, or the caller. */
export const abortReason = (signal: AbortSignal): FetchRefusal =>
  signal.reason === FetchRefusal.Timeout ? FetchRefusal.Timeout : FetchRefusal.Aborted;

/**
 * One request to a vetted address: dials `address` only (Host header and TLS SNI keep the name), checks the
 * socket is on that address, and reads the answer within the bounds: a redirect, a media body (accepted only
 * when its magic bytes say image), a POST's answer, or a refusal. Never rejects.
 */
export function requestHop(
  settings: HopSettings,
  url: NormalizedUrl,
  address: string,
  family: 4 | 6,
  signal: AbortSignal,
  send: Send,
): Promise<Hop> {
  const { userAgent, maxBytes, connectTimeoutMs } = settings;
  return new Promise<Hop>((resolve) => {
    const secure = url.scheme === 'https';
    const port = url.port ?? (secure ? 443 : 80);
    const hostname = url.hostType === HostType.Ipv6 ? url.host.slice(1, -1) : url.host;
    let settled = false;
    const chunks: Buffer[] = [];
    let received = 0;
    let sniffed: MediaType | null = null;
    /** The body's decoders (its Content-Encoding), stopped with the request: a bomb inflates no further. */
    let decoders: Transform[] = [];

    const finish = (hop: Hop): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      req.destroy();
      for (const decoder of decoders) decoder.destroy();
      resolve(hop);
    };
    const refuse = (reason: FetchRefusal, detail: string, status?: number): void =>
      finish(
        status === undefined
          ? { kind: 'refused', reason, detail }
          : { kind: 'refused', reason, detail, status },
      );

    try {
      settings.beforeConnect?.({ hostname, address, family, port });
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
        ? {
            host,
            'user-agent': userAgent,
            accept:
              send.page === undefined || send.page.image === true
                ? 'image/*'
                : 'text/html,application/xhtml+xml,image/*;q=0.9',
            'accept-encoding': 'identity',
          }
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
    if (secure && settings.tlsTrustedCa !== undefined) requestOptions.ca = settings.tlsTrustedCa;
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
    // A 101 is no answer to a request that asked for no upgrade: Node hands the socket to an 'upgrade' listener (or,
    // without one, closes it) and emits neither a response nor an error, nor later the abort's error.
    req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
      socket.destroy();
      refuse(FetchRefusal.HttpStatus, `status ${res.statusCode ?? 0}`, res.statusCode);
    });
    // Whatever else ends the request before an answer began (an answer's body settles the hop, its decoding after
    // the connection closed included): never left pending.
    let answered = false;
    req.on('close', () => {
      if (answered) return;
      if (signal.aborted) refuse(abortReason(signal), 'request aborted');
      else refuse(FetchRefusal.ConnectionFailed, 'connection closed before an answer');
    });
    req.on('response', (res) => {
      answered = true;
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
        // A server that is busy (429, 503) may say when to come back: a caller that retries waits that long.
        const retryAfterMs =
          status === 429 || status === 503
            ? parseRetryAfterMs(res.headers['retry-after'], Date.now())
            : undefined;
        if (retryAfterMs === undefined) refuse(FetchRefusal.HttpStatus, `status ${status}`, status);
        else
          finish({
            kind: 'refused',
            reason: FetchRefusal.HttpStatus,
            detail: `status ${status}`,
            status,
            retryAfterMs,
          });
        return;
      }
      const contentType = res.headers['content-type'] ?? null;
      // Page mode: an HTML answer is read up to the page bound (and cut there), whatever its declared length. One
      // without a Content-Type is a page when its start sniffs as HTML, as a browser sniffs it (`sniffsAsHtml`).
      const untyped = contentType === null || contentType.trim() === '';
      const pageBytes =
        send.method === 'GET' &&
        (send.page?.image === true
          ? isSvgContentType(contentType)
          : untyped || isHtmlContentType(contentType) || isSvgContentType(contentType))
          ? send.page?.maxBytes
          : undefined;
      const declared = Number(res.headers['content-length']);
      if (pageBytes === undefined && Number.isFinite(declared) && declared > maxBytes) {
        refuse(FetchRefusal.TooLarge, `Content-Length ${declared} > ${maxBytes}`);
        return;
      }
      /**
       * Whether the body is a page (decided with the sniff: not an image). A browser shows a text/html body as a page
       * whatever its bytes (text before the first tag, UTF-16, a stray control byte), so no rule on them is asked.
       */
      let page = false;
      const finishPage = (truncated: boolean) => {
        const all = Buffer.concat(chunks);
        const bytes = pageBytes !== undefined && all.length > pageBytes ? all.subarray(0, pageBytes) : all;
        const refresh = res.headers.refresh;
        if (bytes.length > 0 && (!untyped || sniffsAsHtml(bytes)))
          finish({
            kind: 'page',
            address,
            status,
            contentType: contentType ?? '',
            bytes,
            truncated,
            ...(typeof refresh === 'string' ? { refresh } : {}),
          });
        else refuse(FetchRefusal.NotMedia, 'neither an accepted image type nor an HTML page');
      };
      // Decoded as a browser decodes it (an image or a page sent gzip, deflate, br or zstd whatever we accepted), each
      // bound below applying to the decoded bytes.
      const found = contentDecoders(res.headers['content-encoding']);
      if (found === null) {
        refuse(FetchRefusal.NotMedia, 'a Content-Encoding browsers do not decode');
        return;
      }
      decoders = found;
      for (const decoder of decoders)
        decoder.on('error', () =>
          refuse(FetchRefusal.NotMedia, 'body does not decode as its Content-Encoding'),
        );
      const body = decoders.reduce<Readable>((stream, decoder) => stream.pipe(decoder), res);
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        chunks.push(chunk);
        if (!page && received > maxBytes) {
          refuse(FetchRefusal.TooLarge, `body over ${maxBytes} bytes`);
          return;
        }
        if (sniffed === null && !page && received >= SNIFF_BYTES) {
          const head = Buffer.concat(chunks);
          sniffed = sniffMedia(head);
          if (sniffed === null && pageBytes !== undefined && (!untyped || sniffsAsHtml(head))) page = true;
          // Stop reading as soon as the start says it is not an image (nor, in page mode, a page).
          else if (sniffed === null)
            refuse(FetchRefusal.NotMedia, 'magic bytes are not an accepted image type');
        }
        // A page is read up to its bound, and the rest left unread (what a page shows is mostly near its start).
        if (page && pageBytes !== undefined && received >= pageBytes) finishPage(true);
      });
      body.on('end', () => {
        if (settled) return;
        const bytes = Buffer.concat(chunks);
        const mediaType = sniffed ?? sniffMedia(bytes);
        if (mediaType !== null) finish({ kind: 'body', address, status, mediaType, contentType, bytes });
        else if (pageBytes !== undefined) finishPage(false);
        else refuse(FetchRefusal.NotMedia, 'magic bytes are not an accepted image type');
      });
      refuseWhenCutShort(res, 'body');
    });
    if (send.method === 'POST') req.end(send.body);
    else req.end();
  });
}
