import { fetcherSubmissionIds } from '@mod/contracts';
import { describe, expect, it } from 'vitest';
import { bank, REPORTED, world } from './fetch-step.test-helper.js';

describe('fetch step: a reported URL in a negative (allow) URL list', () => {
  it('is recorded at once with MOD_ERR_FETCH_ALLOW_LISTED so a person gets the report, while ISP traffic is only dropped', async () => {
    const w = world();
    w.banks.set('allow', bank({ name: 'known-benign', negative: true }));
    w.index.add({
      id: 'a1',
      kind: 'host',
      pattern: 'benign.example',
      data: { bankId: 'allow', dedicatedToAbuse: false, category: null },
    });
    // ISP traffic: dropped as today, nothing recorded.
    expect(await w.observe('https://benign.example/a.jpg')).toMatchObject({ kind: 'drop' });
    expect(w.refusals).toEqual([]);
    // A report: dropped (nothing fetched or sent), and recorded for the router under the listed-hit id.
    expect(await w.observe('https://benign.example/page', REPORTED)).toMatchObject({ kind: 'drop' });
    expect(w.fetched).toEqual([]);
    expect(w.sent).toEqual([]);
    expect(w.refusals).toEqual([
      {
        id: fetcherSubmissionIds('00000000-0000-4000-8000-000000000002').listed,
        tenantId: 'public-reports',
        url: 'https://benign.example/page',
        failureCode: 'MOD_ERR_FETCH_ALLOW_LISTED',
      },
    ]);
    expect(await w.count('allow-listed')).toBe(2);
    // The same purpose on an ISP's own topic means nothing.
    expect(await w.observeIspClaimingReport('https://benign.example/b')).toMatchObject({ kind: 'drop' });
    expect(w.refusals).toHaveLength(1);
  });
});
