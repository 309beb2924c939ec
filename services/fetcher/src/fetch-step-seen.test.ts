import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import type { PageFetchOutcome } from '@mod/urls/fetch';
import { imageAnswer, notFoundAnswer, world } from './fetch-step.test-helper.js';

// The test world remembers a handled URL for 1000 ms and a refused fetch for 100 ms, doubled per refusal in a row,
// at most 300 ms (`world` in fetch-step.test-helper.ts).

/** `url` as ISP `isp` observes it on its own topic. */
const onTopicOf = (isp: string) => [{ tenantId: isp }, `mod.url-observed.v1.${isp}`] as const;

/** A fetcher whose answers the test changes: `live` URLs answer media, the rest 404. */
function liveLater() {
  const live = new Set<string>();
  const answer = (url: string): PageFetchOutcome => (live.has(url) ? imageAnswer(url) : notFoundAnswer(url));
  return { live, answer };
}

describe('fetch step: a refused fetch is remembered briefly', () => {
  it('fetches a URL again soon after a 404, once its content is live', async () => {
    // Before, a refusal kept the URL as seen for the whole SEEN_TTL_MS (6 h): an ISP observing it before its
    // content went live kept it unfetched for hours.
    const site = liveLater();
    const w = world(site.answer);
    const url = 'http://later.example/a.jpg';
    expect(await w.observe(url)).toMatchObject({ kind: 'drop', reason: 'fetch refused: http-status' });
    expect(await w.observe(url)).toMatchObject({ kind: 'drop', reason: 'seen within the TTL' });
    site.live.add(url);
    w.advance(101);
    expect(await w.observe(url)).toEqual({ kind: 'ok' });
    expect(w.fetched).toEqual([url, url]);
    // Fetched: now remembered for the full TTL.
    w.advance(999);
    expect(await w.observe(url)).toMatchObject({ kind: 'drop', reason: 'seen within the TTL' });
    w.advance(1);
    expect(await w.observe(url)).toEqual({ kind: 'ok' });
  });

  it('doubles the wait for each refusal in a row, up to its cap, and a success ends the run', async () => {
    const site = liveLater();
    const w = world(site.answer);
    const url = 'http://refuses.example/a.jpg';
    const fetches = () => w.fetched.filter((u) => u === url).length;
    await w.observe(url); // refusal 1: 100 ms
    w.advance(100);
    await w.observe(url); // refusal 2: 200 ms
    expect(fetches()).toBe(2);
    w.advance(199);
    expect(await w.observe(url)).toMatchObject({ reason: 'seen within the TTL' });
    w.advance(1);
    await w.observe(url); // refusal 3: 400 ms, capped at 300
    w.advance(299);
    expect(await w.observe(url)).toMatchObject({ reason: 'seen within the TTL' });
    w.advance(1);
    await w.observe(url); // refusal 4: still 300
    expect(fetches()).toBe(4);
    w.advance(300);
    site.live.add(url);
    expect(await w.observe(url)).toEqual({ kind: 'ok' });
    site.live.delete(url);
    w.advance(1000);
    await w.observe(url); // a refusal after a success starts a new run: 100 ms
    w.advance(100);
    await w.observe(url);
    expect(fetches()).toBe(7);
  });
});

describe("fetch step: one ISP's observation does not decide another's", () => {
  it("fetches a URL another ISP's fetch was refused on (a host answering the first fetch with an error)", async () => {
    // An abuse host answers its first fetch with an error on purpose; it was remembered for every ISP.
    let first = true;
    const w = world((url) => {
      if (!first) return imageAnswer(url);
      first = false;
      return notFoundAnswer(url);
    });
    const url = 'http://tricky.example/p.jpg';
    expect(await w.observe(url, ...onTopicOf('isp-1'))).toMatchObject({ kind: 'drop' });
    expect(await w.observe(url, ...onTopicOf('isp-2'))).toEqual({ kind: 'ok' });
    expect(w.sent.map((s) => Codecs.mediaMeta.decode(s.headers['mod-meta'] ?? null).tenantId)).toEqual([
      'isp-2',
    ]);
  });

  it("fetches a URL again for another ISP after one ISP's fetch of it was submitted", async () => {
    // The scan may still refuse the first ISP's media (its tenant disabled meanwhile: MOD_ERR_TENANT_DISABLED), and
    // the URL stayed seen for every ISP for the TTL. Each ISP's observation is now its own.
    const w = world((url) => imageAnswer(url));
    const url = 'http://shared.example/p.jpg';
    expect(await w.observe(url, ...onTopicOf('isp-1'))).toEqual({ kind: 'ok' });
    expect(await w.observe(url, ...onTopicOf('isp-2'))).toEqual({ kind: 'ok' });
    // Each ISP's still once per TTL.
    expect(await w.observe(url, ...onTopicOf('isp-1'))).toMatchObject({ reason: 'seen within the TTL' });
    expect(await w.observe(url, ...onTopicOf('isp-2'))).toMatchObject({ reason: 'seen within the TTL' });
    expect(w.sent.map((s) => Codecs.mediaMeta.decode(s.headers['mod-meta'] ?? null).tenantId)).toEqual([
      'isp-1',
      'isp-2',
    ]);
  });

  it("reports a listed URL for another ISP after one ISP's hit was reported", async () => {
    // The actioner refuses a disabled tenant's verdict: that hit must not keep another ISP's from being reported.
    const w = world();
    w.listHost('5', 'listed.example');
    const url = 'http://listed.example/x';
    expect(await w.observe(url, ...onTopicOf('isp-1'))).toEqual({ kind: 'ok' });
    expect(await w.observe(url, ...onTopicOf('isp-2'))).toEqual({ kind: 'ok' });
    expect(await w.observe(url, ...onTopicOf('isp-2'))).toMatchObject({
      reason: 'listed URL already reported within the TTL',
    });
    expect(w.sent.map((s) => Codecs.verdict.decode(s.value).tenantId)).toEqual(['isp-1', 'isp-2']);
  });
});
