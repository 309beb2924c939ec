import { describe, expect, it } from 'vitest';
import { world } from './fetch-step.test-helper.js';

describe('fetch step: reported URLs', () => {
  it('fetches a reported URL whatever it looks like and however recently seen, and records a refusal for its report', async () => {
    const w = world();
    const reported = { tenantId: 'public-reports', source: 'api', purpose: 'report' } as const;
    // Not media-looking, seen a moment ago as ISP traffic: an ISP's observation is dropped, a report is fetched.
    expect(await w.observe('https://page.example/post/1', { contentType: 'text/html' })).toMatchObject({
      kind: 'drop',
    });
    expect(await w.observe('https://page.example/post/1', reported)).toMatchObject({ kind: 'drop' });
    expect(w.fetched).toEqual(['https://page.example/post/1']);
    expect(w.refusals).toEqual([
      expect.objectContaining({
        tenantId: 'public-reports',
        url: 'https://page.example/post/1',
        failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      }),
    ]);
    // The same purpose on an ISP's own topic means nothing, and a hotline tenant may not send plain traffic.
    expect(
      await w.observe(
        'https://page.example/post/2',
        { tenantId: 'isp-1', purpose: 'report' },
        'mod.url-observed.v1.isp-1',
      ),
    ).toMatchObject({ kind: 'drop' });
    expect(await w.observe('https://page.example/post/3', { tenantId: 'public-reports' })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_TENANT_KIND',
    });
    expect(w.refusals).toHaveLength(1);
  });
});
