import { describe, expect, it } from 'vitest';
import { fetchRetryDelay, fetchWithRetries, parseRetryAfterMs, transientReason } from './fetch-retry.js';
import { FetchRefusal, type FetchFailure } from './fetcher-types.js';

const failure = (reason: FetchRefusal, over: Partial<FetchFailure> = {}): FetchFailure => ({
  ok: false,
  reason,
  detail: '',
  url: 'https://img.example/a.jpg',
  redirects: [],
  ...over,
});
const status = (s: number, retryAfterMs?: number) =>
  failure(FetchRefusal.HttpStatus, retryAfterMs === undefined ? { status: s } : { status: s, retryAfterMs });

describe('which refused fetches are tried again', () => {
  it('retries timeouts, connection failures, 408, 429 and 5xx, and nothing else', () => {
    expect(
      [
        failure(FetchRefusal.Timeout),
        failure(FetchRefusal.ConnectionFailed),
        status(408),
        status(429),
        status(500),
        status(503),
        status(599),
      ].map(transientReason),
    ).toEqual([
      'timeout',
      'connection-failed',
      'timeout',
      'rate-limited',
      'server-error',
      'server-error',
      'server-error',
    ]);
    const permanent = [
      status(400),
      status(403),
      status(404),
      status(410),
      status(304),
      failure(FetchRefusal.BlockedAddress),
      failure(FetchRefusal.BadUrl),
      failure(FetchRefusal.DnsFailure),
      failure(FetchRefusal.NotMedia),
      failure(FetchRefusal.TooLarge),
      failure(FetchRefusal.TooManyRedirects),
      failure(FetchRefusal.Aborted),
    ];
    expect(permanent.map(transientReason)).toEqual(permanent.map(() => null));
  });

  it('reads Retry-After as seconds or an HTTP-date, and ignores what is neither', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('Sun, 06 Dec 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', '-1', '1.5', 'soon', '2026-12-06', '99999999999'])
      expect(parseRetryAfterMs(bad, now)).toBeUndefined();
  });

  it('waits a jittered doubling backoff, a Retry-After in full, and gives up past the bound', () => {
    const o = { retries: 2, baseMs: 100, maxMs: 1000, random: () => 0 };
    expect(fetchRetryDelay(status(500), 1, o)).toEqual({ delayMs: 50, reason: 'server-error' });
    expect(fetchRetryDelay(status(500), 2, o)).toEqual({ delayMs: 100, reason: 'server-error' });
    expect(fetchRetryDelay(status(500), 3, o)).toBeNull();
    expect(fetchRetryDelay(status(429, 800), 1, o)).toEqual({ delayMs: 800, reason: 'rate-limited' });
    expect(fetchRetryDelay(status(503, 0), 2, o)).toEqual({ delayMs: 100, reason: 'server-error' });
    // A server asking for longer than the bound is not hurried: it is not tried again.
    expect(fetchRetryDelay(status(429, 1001), 1, o)).toBeNull();
    expect(fetchRetryDelay(status(404), 1, o)).toBeNull();
    expect(fetchRetryDelay(status(500), 1, { ...o, retries: 0 })).toBeNull();
  });
});

describe('fetchWithRetries', () => {
  /** An attempt that answers `outcomes` in turn, counting its calls. */
  const attempts = (...outcomes: (FetchFailure | { ok: true })[]) => {
    let n = 0;
    return { run: () => Promise.resolve(outcomes[Math.min(n++, outcomes.length - 1)]!), calls: () => n };
  };

  it('answers the first success, the retries counted, and stops at the bound', async () => {
    const reasons: string[] = [];
    const once = attempts(failure(FetchRefusal.ConnectionFailed), status(502), { ok: true });
    const run = { retries: 2, baseMs: 1, onRetry: ({ reason }: { reason: string }) => reasons.push(reason) };
    expect(await fetchWithRetries(once.run, run)).toEqual({ ok: true });
    expect(reasons).toEqual(['connection-failed', 'server-error']);
    const never = attempts(status(500));
    expect(await fetchWithRetries(never.run, { retries: 2, baseMs: 1 })).toMatchObject({ status: 500 });
    expect(never.calls()).toBe(3);
    const notFound = attempts(status(404), { ok: true });
    expect(await fetchWithRetries(notFound.run, { retries: 2, baseMs: 1 })).toMatchObject({ status: 404 });
    expect(notFound.calls()).toBe(1);
  });

  it('begins no wait that would end past the deadline, and ends a wait when the signal aborts', async () => {
    const late = attempts(status(500), { ok: true });
    const deadline = { retries: 2, baseMs: 100, deadlineMs: 1050, now: () => 1000, random: () => 0 };
    expect(await fetchWithRetries(late.run, deadline)).toMatchObject({ status: 500 });
    expect(late.calls()).toBe(1);
    const aborted = attempts(status(429, 60_000), { ok: true });
    const stop = new AbortController();
    const waiting = fetchWithRetries(aborted.run, { maxMs: 120_000, signal: stop.signal });
    stop.abort();
    expect(await waiting).toMatchObject({ status: 429 });
    expect(aborted.calls()).toBe(1);
  });
});
