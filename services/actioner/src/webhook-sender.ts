import { createSafeFetcher, FetchRefusal, type SafeFetcherOptions } from '@mod/urls/fetch';

/**
 * Sends one signed HTTP request. Production: {@link createSafeWebhookSender} (the SSRF-safe fetcher); tests
 * inject one with a resolver and address policy that let a loopback receiver stand in for a public host.
 */
export type WebhookSender = (r: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}) => Promise<{ status: number }>;

/** Options of {@link createSafeWebhookSender}: the SSRF-safe fetcher's, plus the scheme rule. */
export interface SafeWebhookSenderOptions extends SafeFetcherOptions {
  /**
   * Send to `http:` targets too. Tests only (a loopback receiver without TLS); registration accepts https only,
   * and so does delivery by default.
   */
  readonly allowPlainHttp?: boolean;
}

/**
 * The production webhook sender: every delivery goes through the SSRF-safe fetcher, which resolves the target
 * again (what it resolved to when it was registered proves nothing now), refuses it if any address is not
 * public, dials the vetted address only, never follows a redirect, and reads at most a little of the answer.
 * A refusal or a network failure throws, so the attempt is recorded as failed with the reason and retried with
 * backoff like any other failure.
 */
export function createSafeWebhookSender(options: SafeWebhookSenderOptions = {}): WebhookSender {
  const { allowPlainHttp = false, ...fetcherOptions } = options;
  const fetcher = createSafeFetcher({ userAgent: 'mod-webhooks/1', ...fetcherOptions });
  return async (r) => {
    let protocol: string;
    try {
      protocol = new URL(r.url).protocol;
    } catch {
      throw new Error('bad-url: not a URL');
    }
    if (protocol !== 'https:' && !(allowPlainHttp && protocol === 'http:'))
      throw new Error(`bad-url: webhook targets must be https, not ${protocol}`);
    const out = await fetcher.post(r.url, {
      body: r.body,
      headers: r.headers,
      timeoutMs: r.timeoutMs,
      maxResponseBytes: 4096,
    });
    if (!out.ok) throw new WebhookNotSent(out.reason, out.detail);
    return { status: out.status };
  };
}

/**
 * What the parties to an order read of a refused name (the delivery log is theirs): the reason, never what it
 * resolved to. The tenant owns the name and can point it anywhere after registration, say at an internal name
 * of the operator's network; the addresses it resolved to would tell it which internal names exist and where,
 * as registration, for the same reason, does not either. The service log has them.
 */
const UNSAID: Partial<Record<FetchRefusal, string>> = {
  [FetchRefusal.BlockedAddress]: 'the host resolved to an address that is not public',
  [FetchRefusal.DnsFailure]: 'the host did not resolve',
};

/** A delivery the sender refused or could not make: `message` for the order's parties, `detail` for the log. */
export class WebhookNotSent extends Error {
  readonly detail: string;
  constructor(reason: FetchRefusal, detail: string) {
    super(`${reason}: ${UNSAID[reason] ?? detail}`);
    this.name = 'WebhookNotSent';
    this.detail = `${reason}: ${detail}`;
  }
}
