import { describe, expect, it } from 'vitest';
import { Codecs, fetcherSubmissionIds } from '@mod/contracts';
import { normalizeUrlOrThrow } from '@mod/urls';
import { looksLikeMedia } from './fetch-step.js';
import { bank, imageAnswer, JPEG, world } from './fetch-step.test-helper.js';
import { applyUrlListChange } from './url-list-sync.js';

describe('fetch step', () => {
  it('drops a URL that does not normalise, and counts it', async () => {
    const w = world();
    expect(await w.observe('javascript:alert(1)')).toMatchObject({ kind: 'drop' });
    expect(await w.count('bad-url')).toBe(1);
    expect(w.sent).toEqual([]);
  });

  it("publishes a verdict naming the URL for a URL-list hit, and the dedicated entry's host for a dedicated one", async () => {
    const w = world();
    applyUrlListChange(w.index, w.banks, {
      type: 'url-bank-upserted',
      bankId: 'b1',
      name: 'iwf',
      enabled: true,
      negative: false,
      actionPolicy: 'automatic',
    });
    applyUrlListChange(w.index, w.banks, {
      type: 'url-entry-added',
      entry: {
        entryId: '7',
        bankId: 'b1',
        kind: 'url',
        pattern: 'bad.example/p/1.html',
        dedicatedToAbuse: false,
        category: 'A',
      },
    });
    applyUrlListChange(w.index, w.banks, {
      type: 'url-entry-added',
      entry: {
        entryId: '8',
        bankId: 'b1',
        kind: 'domain',
        pattern: 'worse.example',
        dedicatedToAbuse: true,
        category: 'B',
      },
    });
    expect(await w.observe('HTTP://BAD.example:80/p/./1.html#x')).toEqual({ kind: 'ok' });
    expect(await w.observe('https://cdn.worse.example/a.jpg')).toEqual({ kind: 'ok' });
    const verdicts = w.sent.map((s) => Codecs.verdict.decode(s.value));
    expect(w.sent.every((s) => s.topic === 'verdicts')).toBe(true);
    expect(verdicts[0]).toMatchObject({
      decision: 'match',
      tenantId: 'isp-1',
      subject: { type: 'url', value: 'http://bad.example/p/1.html' },
      hits: [{ bankId: 'b1', entryId: 'url:7', category: 'A', actionPolicy: 'automatic', negative: false }],
    });
    // The dedicated domain's own name, not the name observed under it.
    expect(verdicts[1]?.subject).toEqual({ type: 'host', value: 'worse.example' });
    expect(w.fetched).toEqual([]);
    expect(await w.count('url-list-hit')).toBe(2);
  });

  it('lets a negative list suppress, ignores disabled banks, and forgets removed entries', async () => {
    const w = world();
    w.banks.set('neg', bank({ negative: true }));
    w.banks.set('off', bank({ enabled: false }));
    w.index.add({
      id: '1',
      kind: 'host',
      pattern: 'benign.example',
      data: { bankId: 'neg', dedicatedToAbuse: false, category: null },
    });
    w.index.add({
      id: '2',
      kind: 'host',
      pattern: 'off.example',
      data: { bankId: 'off', dedicatedToAbuse: false, category: null },
    });
    expect(await w.observe('http://benign.example/x.jpg')).toEqual({
      kind: 'drop',
      reason: 'listed in a negative URL list',
    });
    await w.observe('http://off.example/x.html');
    expect(w.sent).toEqual([]);
    expect(await w.count('not-media-url')).toBe(1);
    applyUrlListChange(w.index, w.banks, { type: 'url-entry-removed', entryId: '1', bankId: 'neg' });
    expect(w.index.size).toBe(1);
  });

  it('fetches media-looking URLs once per TTL and submits the bytes for scanning', async () => {
    const w = world((url) => imageAnswer(url));
    expect(await w.observe('http://pics.example/a.JPG')).toEqual({ kind: 'ok' });
    expect(await w.observe('http://pics.example/a.JPG')).toMatchObject({ kind: 'drop' });
    expect(await w.observe('http://pics.example/page', { contentType: 'text/html' })).toMatchObject({
      kind: 'drop',
    });
    expect(await w.observe('http://pics.example/raw', { contentType: 'image/webp' })).toEqual({ kind: 'ok' });
    w.advance(1001);
    expect(await w.observe('http://pics.example/a.JPG')).toEqual({ kind: 'ok' });
    expect(w.fetched).toEqual([
      'http://pics.example/a.JPG',
      'http://pics.example/raw',
      'http://pics.example/a.JPG',
    ]);
    const media = w.sent.map((s) => Codecs.mediaMeta.decode(s.headers['mod-meta'] ?? null));
    expect(media[0]).toMatchObject({
      tenantId: 'isp-1',
      source: 'fetcher',
      url: 'http://pics.example/a.JPG',
      contentType: 'image/jpeg',
    });
    // The media travels as bytes, never base64.
    expect(w.sent[0]?.value.equals(JPEG)).toBe(true);
    expect(w.sent.every((s) => s.topic === 'media')).toBe(true);
    expect(new Set(media.map((m) => m.submissionId)).size).toBe(3);
    expect(await w.count('recently-seen')).toBe(1);
  });

  it('forgets a URL after a transient refusal (a busy host too) but remembers a blocked address', async () => {
    const w = world((url, _signal, options) => ({
      ok: false,
      // A traffic sample does not queue behind a busy host (it holds a slot of the partition's window meanwhile).
      reason: url.includes('flaky')
        ? 'timeout'
        : url.includes('tarpit') && options?.whenHostBusy === 'refuse'
          ? 'host-busy'
          : 'blocked-address',
      detail: '',
      url,
      redirects: [],
    }));
    await w.observe('http://flaky.example/a.png');
    await w.observe('http://flaky.example/a.png');
    await w.observe('http://n1.tarpit.example/a.png');
    await w.observe('http://n1.tarpit.example/a.png');
    await w.observe('http://internal.example/a.png');
    await w.observe('http://internal.example/a.png');
    expect(w.fetched).toEqual([
      'http://flaky.example/a.png',
      'http://flaky.example/a.png',
      'http://n1.tarpit.example/a.png',
      'http://n1.tarpit.example/a.png',
      'http://internal.example/a.png',
    ]);
    expect(await w.count('refused')).toBe(5);
    expect(w.sent).toEqual([]);
  });
});

describe('fetch step: list matching and seen-before', () => {
  it('reports a URL that was seen before a curator listed it, once per listing within the TTL', async () => {
    const w = world();
    expect(await w.observe('http://later.example/p.jpg')).toMatchObject({ kind: 'drop' });
    expect(await w.observe('http://later.example/p.jpg')).toMatchObject({
      kind: 'drop',
      reason: 'seen within the TTL',
    });
    w.listHost('5', 'later.example');
    expect(await w.observe('http://later.example/p.jpg')).toEqual({ kind: 'ok' });
    expect(await w.observe('http://later.example/p.jpg')).toMatchObject({
      kind: 'drop',
      reason: 'listed URL already reported within the TTL',
    });
    // A second entry listing it is a new listing: reported again.
    w.index.add({
      id: '6',
      kind: 'domain',
      pattern: 'later.example',
      data: { bankId: 'b1', dedicatedToAbuse: false, category: 'B' },
    });
    expect(await w.observe('http://later.example/p.jpg')).toEqual({ kind: 'ok' });
    const verdicts = w.sent.map((s) => Codecs.verdict.decode(s.value));
    expect(verdicts.map((v) => v.hits.map((h) => h.entryId).sort())).toEqual([['url:5'], ['url:5', 'url:6']]);
    // Each verdict's submission was recorded, as the ISP's, before the verdict left.
    expect(verdicts.every((v) => w.owners.get(v.submissionId) === 'isp-1')).toBe(true);
  });

  it('reports a listed URL again after a failed publish (the retry is not mistaken for a repeat)', async () => {
    const w = world();
    w.listHost('5', 'retry.example');
    w.setBrokerDown(true);
    await expect(w.observe('http://retry.example/x')).rejects.toThrow('broker down');
    w.setBrokerDown(false);
    expect(await w.observe('http://retry.example/x')).toEqual({ kind: 'ok' });
    expect(w.sent).toHaveLength(1);
  });
});

describe('fetch step: the ISP of an event', () => {
  it("takes the tenant from an ISP's own topic, and dead-letters events that name another", async () => {
    const w = world();
    w.listHost('5', 'listed.example');
    expect(
      await w.observe('http://listed.example/1', { tenantId: 'isp-2' }, 'mod.url-observed.v1.isp-2'),
    ).toEqual({
      kind: 'ok',
    });
    expect(Codecs.verdict.decode(w.sent[0]?.value ?? null).tenantId).toBe('isp-2');
    expect(
      await w.observe('http://listed.example/2', { tenantId: 'isp-1' }, 'mod.url-observed.v1.isp-2'),
    ).toEqual({
      kind: 'dlq',
      code: 'MOD_ERR_FETCH_TENANT_MISMATCH',
      message: expect.any(String) as string,
    });
    expect(await w.count('tenant-refused')).toBe(1);
    expect(w.sent).toHaveLength(1);
  });

  it("cuts another tenant's id in the dead letter's text on a whole character", async () => {
    // 63 units and an emoji: a cut at 64 units kept its first half, which `modctl dlq replay` refused.
    const out = await world().observe(
      'http://listed.example/3',
      { tenantId: `${'a'.repeat(63)}😀` },
      'mod.url-observed.v1.isp-2',
    );
    expect(out).toMatchObject({ kind: 'dlq', code: 'MOD_ERR_FETCH_TENANT_MISMATCH' });
    expect((out as { message: string }).message).toMatch(/ a{63}$/u);
  });

  it('dead-letters events of unknown, disabled and non-ISP tenants', async () => {
    const w = world();
    for (const [tenantId, code] of [
      ['nobody', 'MOD_ERR_TENANT_UNKNOWN'],
      ['isp-off', 'MOD_ERR_TENANT_DISABLED'],
      ['plat-1', 'MOD_ERR_TENANT_KIND'],
    ] as const) {
      expect(
        await w.observe('http://a.example/x.jpg', { tenantId }, `mod.url-observed.v1.${tenantId}`),
      ).toMatchObject({
        kind: 'dlq',
        code,
      });
    }
    expect(await w.observe('http://a.example/x.jpg', { tenantId: 'nobody' })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_TENANT_UNKNOWN',
    });
    expect(w.fetched).toEqual([]);
  });

  it("dead-letters a listed hit whose submission id is already another tenant's, and keeps no record of it", async () => {
    const w = world();
    w.listHost('5', 'taken.example');
    const eventId = '00000000-0000-4000-8000-00000000beef';
    w.owners.set(fetcherSubmissionIds(eventId).listed, 'plat-1');
    expect(await w.observe('http://taken.example/1', { eventId })).toEqual({
      kind: 'dlq',
      code: 'MOD_ERR_FETCH_SUBMISSION_NOT_OWNED',
      message: `submission ${fetcherSubmissionIds(eventId).listed} belongs to another tenant`,
    });
    expect(w.sent).toEqual([]);
    // Not remembered as seen: the next observation of the URL is a hit of its own.
    expect(await w.observe('http://taken.example/1')).toEqual({ kind: 'ok' });
    expect(w.sent).toHaveLength(1);
  });

  it("keeps ISPs' ids apart: the same event id on two ISPs' topics makes two submissions", async () => {
    const w = world();
    w.listHost('5', 'both.example');
    const eventId = '00000000-0000-4000-8000-00000000abcd';
    await w.observe('http://both.example/1', { eventId, tenantId: 'isp-1' }, 'mod.url-observed.v1.isp-1');
    await w.observe('http://both.example/2', { eventId, tenantId: 'isp-2' }, 'mod.url-observed.v1.isp-2');
    const verdicts = w.sent.map((s) => Codecs.verdict.decode(s.value));
    expect(verdicts.map((v) => v.tenantId)).toEqual(['isp-1', 'isp-2']);
    expect(new Set(verdicts.map((v) => v.submissionId)).size).toBe(2);
    expect(new Set(verdicts.map((v) => v.eventId)).size).toBe(2);
  });

  it("does not let one ISP's content-type hint keep another ISP's media URL from being fetched", async () => {
    const w = world((url) => imageAnswer(url));
    const url = 'http://cdn.example/blob/7f3a';
    // isp-1 says the URL is a page (a hint it alone chose): not fetched, and not held against the URL.
    expect(
      await w.observe(url, { tenantId: 'isp-1', contentType: 'text/html' }, 'mod.url-observed.v1.isp-1'),
    ).toMatchObject({ kind: 'drop', reason: 'does not look like media' });
    expect(
      await w.observe(url, { tenantId: 'isp-2', contentType: 'image/jpeg' }, 'mod.url-observed.v1.isp-2'),
    ).toEqual({ kind: 'ok' });
    expect(w.fetched).toEqual([url]);
    expect(w.sent.map((s) => Codecs.mediaMeta.decode(s.headers['mod-meta'] ?? null).tenantId)).toEqual([
      'isp-2',
    ]);
  });
});

describe('fetch step: one URL under two schemes', () => {
  it("does not let one ISP's observation under another scheme keep a media URL from being fetched", async () => {
    // The seen key left out the scheme: an ISP observing the http:// spelling of a URL whose server refuses it there
    // (a 403 is no transient refusal) had its https:// spelling, where the media is, skipped as seen for the TTL,
    // whichever ISP observed it.
    const w = world((url) =>
      url.startsWith('https:')
        ? imageAnswer(url)
        : { ok: false, reason: 'http-status', detail: 'status 403', url, redirects: [], status: 403 },
    );
    const path = '//cdn.example/pics/7f3a.jpg';
    expect(await w.observe(`http:${path}`, { tenantId: 'isp-1' }, 'mod.url-observed.v1.isp-1')).toMatchObject(
      { kind: 'drop', reason: 'fetch refused: http-status' },
    );
    expect(await w.observe(`https:${path}`, { tenantId: 'isp-2' }, 'mod.url-observed.v1.isp-2')).toEqual({
      kind: 'ok',
    });
    expect(w.fetched).toEqual([`http:${path}`, `https:${path}`]);
    // Each spelling is still remembered for the ISP that observed it (a refusal briefly).
    expect(await w.observe(`http:${path}`, { tenantId: 'isp-1' }, 'mod.url-observed.v1.isp-1')).toMatchObject(
      { kind: 'drop', reason: 'seen within the TTL' },
    );
    expect(
      await w.observe(`https:${path}`, { tenantId: 'isp-2' }, 'mod.url-observed.v1.isp-2'),
    ).toMatchObject({ kind: 'drop', reason: 'seen within the TTL' });
    expect(w.sent.map((s) => Codecs.mediaMeta.decode(s.headers['mod-meta'] ?? null).url)).toEqual([
      `https:${path}`,
    ]);
  });
});

describe('looksLikeMedia', () => {
  it('trusts an image content type, else the path extension', () => {
    expect(looksLikeMedia(normalizeUrlOrThrow('http://a.example/x.png?w=1'), undefined)).toBe(true);
    expect(looksLikeMedia(normalizeUrlOrThrow('http://a.example/x.png'), 'text/html')).toBe(false);
    expect(looksLikeMedia(normalizeUrlOrThrow('http://a.example/x'), 'Image/AVIF')).toBe(true);
    expect(looksLikeMedia(normalizeUrlOrThrow('http://a.example/x.html'), undefined)).toBe(false);
  });
});
