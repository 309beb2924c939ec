import { describe, expect, it } from 'vitest';
import { createSafeFetcher } from '@mod/urls/fetch';
import type { FetchOutcome } from '@mod/urls/fetch';
import { REPORTED, world } from './fetch-step.test-helper.js';

describe('fetch step: reported URLs', () => {
  it('fetches a reported URL whatever it looks like and however recently seen, and records a refusal for its report', async () => {
    const w = world();
    // Not media-looking, seen a moment ago as ISP traffic: an ISP's observation is dropped, a report is fetched.
    expect(await w.observe('https://page.example/post/1', { contentType: 'text/html' })).toMatchObject({
      kind: 'drop',
    });
    expect(await w.observe('https://page.example/post/1', REPORTED)).toMatchObject({ kind: 'drop' });
    expect(w.fetched).toEqual(['https://page.example/post/1']);
    expect(w.refusals).toEqual([
      expect.objectContaining({
        tenantId: 'public-reports',
        url: 'https://page.example/post/1',
        failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      }),
    ]);
    // The same purpose on an ISP's own topic means nothing, and a hotline tenant may not send plain traffic.
    expect(await w.observeIspClaimingReport('https://page.example/post/2')).toMatchObject({ kind: 'drop' });
    expect(await w.observe('https://page.example/post/3', { tenantId: 'public-reports' })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_TENANT_KIND',
    });
    expect(w.refusals).toHaveLength(1);
  });

  it('refuses a reported URL of a loopback, private or metadata address, and records the refusal so a person gets it', async () => {
    // The real SSRF-safe fetcher; every name resolves to loopback (a reporter's own name for 127.0.0.1).
    const safe = createSafeFetcher({
      resolver: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      connectTimeoutMs: 500,
      timeoutMs: 1000,
    });
    const urls = [
      'http://127.0.0.1:8080/v1/admin',
      'http://[::1]/x.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/x',
      'http://[::ffff:7f00:1]/x',
      'http://0.0.0.0/x',
      'http://points-home.example/x.jpg',
    ];
    const outcomes = new Map<string, FetchOutcome>();
    for (const u of urls) outcomes.set(u, await safe.fetch(u));
    const w = world((u) => outcomes.get(u)!);
    for (const u of urls) expect(await w.observe(u, REPORTED), u).toMatchObject({ kind: 'drop' });
    expect(w.sent).toEqual([]);
    expect(w.refusals.map((r) => [r.url, r.failureCode])).toEqual(
      urls.map((u) => [u, 'MOD_ERR_FETCH_BLOCKED_ADDRESS']),
    );
  });
});
