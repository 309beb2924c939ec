import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from './backoff.js';
import { FetchRefusal, type FetchFailure } from './fetcher-types.js';

/** Why a refused fetch is tried again: the label of a retry counter (a small fixed set). */
export const FetchRetryReason = {
  /** The fetch's own deadline or connect timeout elapsed, or the server answered 408. */
  Timeout: 'timeout',
  /** TCP/TLS failure, a reset, a body cut short. */
  ConnectionFailed: 'connection-failed',
  /** A 5xx answer. */
  ServerError: 'server-error',
  /** A 429 answer. */
  RateLimited: 'rate-limited',
} as const;
export type FetchRetryReason = (typeof FetchRetryReason)[keyof typeof FetchRetryReason];

/**
 * Why a refused fetch may succeed if tried again soon, or null when trying again cannot help: a 4xx other than
 * 408/429, an address the policy refuses, a bad port or URL, not media, too large, too many redirects, a name that
 * does not resolve, or the caller's abort (its deadline) are answers, not accidents.
 */
export function transientReason(failure: FetchFailure): FetchRetryReason | null {
  if (failure.reason === FetchRefusal.Timeout) return FetchRetryReason.Timeout;
  if (failure.reason === FetchRefusal.ConnectionFailed) return FetchRetryReason.ConnectionFailed;
  if (failure.reason !== FetchRefusal.HttpStatus || failure.status === undefined) return null;
  if (failure.status === 408) return FetchRetryReason.Timeout;
  if (failure.status === 429) return FetchRetryReason.RateLimited;
  return failure.status >= 500 && failure.status <= 599 ? FetchRetryReason.ServerError : null;
}

/**
 * A `Retry-After` header in milliseconds from `nowMs`: delay-seconds or an HTTP-date (a date past is 0); undefined
 * when absent or unreadable (then only the backoff applies).
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday and GMT; a bare number too long for seconds is not one.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** How a refused fetch is tried again; see {@link fetchWithRetries}. */
export interface FetchRetryOptions {
  /** Tries after the first, for a transient failure. Default 2; 0 never retries. */
  readonly retries?: number;
  /** Backoff before the first retry, ms; doubled for each next one, jittered in [d/2, d). Default 500. */
  readonly baseMs?: number;
  /**
   * Largest backoff, and largest `Retry-After` honoured, ms: a server that asks for a longer wait (a 429 or 503)
   * is not tried again. Default 5,000.
   */
  readonly maxMs?: number;
  /** Uniform [0, 1) source for the jitter. Default Math.random. */
  readonly random?: () => number;
}

export const DEFAULT_FETCH_RETRY = { retries: 2, baseMs: 500, maxMs: 5_000 } as const;

/**
 * The wait before retry number `retry` (1-based) of a refused fetch, and why, or null when it is not tried again:
 * not transient, the retries spent, or a `Retry-After` beyond `maxMs`. A `Retry-After` is waited out in full (at
 * least the backoff).
 */
export function fetchRetryDelay(
  failure: FetchFailure,
  retry: number,
  o: FetchRetryOptions = {},
): { delayMs: number; reason: FetchRetryReason } | null {
  const reason = transientReason(failure);
  if (reason === null || retry > (o.retries ?? DEFAULT_FETCH_RETRY.retries)) return null;
  const maxMs = o.maxMs ?? DEFAULT_FETCH_RETRY.maxMs;
  const backoff = backoffMs(retry, {
    baseMs: o.baseMs ?? DEFAULT_FETCH_RETRY.baseMs,
    maxMs,
    ...(o.random === undefined ? {} : { random: o.random }),
  });
  const asked = failure.retryAfterMs;
  if (asked === undefined) return { delayMs: backoff, reason };
  return asked > maxMs ? null : { delayMs: Math.max(backoff, asked), reason };
}

/** One run of {@link fetchWithRetries}: the retry options, and the bounds of the caller. */
export interface FetchRetryRun extends FetchRetryOptions {
  /** Ends a wait at once (the last failure is then the answer): the caller's deadline or abort. */
  readonly signal?: AbortSignal;
  /** No wait is begun that would end at or after this instant (ms, as `now` reads it): the try could not finish. */
  readonly deadlineMs?: number;
  /** Default Date.now. */
  readonly now?: () => number;
  /** Called as each retry begins (after its wait): why, and the wait it followed. */
  readonly onRetry?: (retry: { reason: FetchRetryReason; delayMs: number; failure: FetchFailure }) => void;
}

/**
 * Runs `attempt` until it succeeds or fails for good: a transient failure (timeout, connection failure, 408, 429,
 * 5xx) is tried again after a jittered exponential backoff, at most `retries` times, within the run's deadline and
 * signal; any other failure is answered at once. `attempt` holds whatever slots it needs only while it runs (the
 * per-host slots of the fetcher are, so nothing is held during a wait). Never rejects unless `attempt` does.
 */
export async function fetchWithRetries<S extends { readonly ok: true }>(
  attempt: () => Promise<S | FetchFailure>,
  run: FetchRetryRun = {},
): Promise<S | FetchFailure> {
  const now = run.now ?? Date.now;
  for (let retry = 1; ; retry++) {
    const outcome = await attempt();
    if (outcome.ok) return outcome;
    const next = fetchRetryDelay(outcome, retry, run);
    if (next === null) return outcome;
    if (run.deadlineMs !== undefined && now() + next.delayMs >= run.deadlineMs) return outcome;
    try {
      await sleep(next.delayMs, undefined, run.signal === undefined ? {} : { signal: run.signal });
    } catch {
      return outcome; // the caller's signal aborted the wait
    }
    run.onRetry?.({ ...next, failure: outcome });
  }
}
