import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codecs, partnerGroupPrefix, partnerTopic } from '@mod/contracts';
import { readTopic } from '@mod/testing';
import { normalizeUrlOrThrow } from '@mod/urls';
import { grantPartner, readPartners, waitFor } from './helpers.js';
import { counterValue, createUrlList } from './isp-helpers.js';
import { ISPS, trySend, useTrustScene } from './trust-boundaries-scene.js';

/**
 * The attack test of the trust-boundaries issue, through the real broker (SASL/SCRAM over TLS, ACLs) and the
 * real API: every finding, as an outsider and as a partner with credentials would try it. Here: orders from content and
 * URL lists, and partners reading their own orders on Kafka.
 */

const scene = useTrustScene({ fetcher: true });

describe('orders from content and lists', () => {
  it('lists the order a re-upload of known content folded into', async () => {
    const first = await scene.upload('platform-a', scene.known);
    const second = await scene.upload('platform-b', scene.known);
    const ids = [first, second].map((r) => r.json<{ submissionId: string }>().submissionId);
    const views = await waitFor('both submissions with their orders', async () => {
      const all = await Promise.all(
        ids.map(async (id) =>
          (await scene.inject('admin', { url: `/v1/submissions/${id}` })).json<{
            decision: string;
            orderIds: string[];
          }>(),
        ),
      );
      return all.every((v) => v.orderIds.length === 2) ? all : undefined;
    });
    expect(views.map((v) => v.decision)).toEqual(['match', 'match']);
    expect(views[1]?.orderIds.sort()).toEqual(views[0]?.orderIds.sort());
    const listed = await scene.inject('authority-1', { url: `/v1/orders?submissionId=${ids[1]}` });
    expect(
      listed
        .json<{ orders: { id: string }[] }>()
        .orders.map((o) => o.id)
        .sort(),
    ).toEqual(views[0]?.orderIds.sort());
  });

  it('makes a blocking request for a URL observed before a curator listed it', async () => {
    const url = `http://seen-first-${randomUUID().slice(0, 8)}.example/page.html`;
    const observe = () =>
      scene.inject('isp-1', {
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: `${JSON.stringify({ url })}\n`,
      });
    expect((await observe()).statusCode).toBe(202);
    await waitFor('the first observation handled', async () => {
      const text = await scene.fetcher.registry.getSingleMetricAsString('mod_fetcher_observed_total');
      return /outcome="not-media-url"[^\n]* [1-9]/.test(text);
    });
    const list = await createUrlList(scene.world, `later-${randomUUID().slice(0, 6)}`, [
      { kind: 'url', pattern: url, dedicatedToAbuse: false, block: true },
    ]);
    await waitFor(
      'the fetcher to know the entry',
      async () => scene.fetcher.service.urlLists.index().match(normalizeUrlOrThrow(url)).length > 0,
    );
    expect((await observe()).statusCode).toBe(202);
    const requests = await readPartners(scene.world, 'blockingRequests', ISPS, (r) =>
      ISPS.every((isp) =>
        r.some((m) => m.tenantId === isp && Codecs.blockingRequest.decode(m.value).subject.value === url),
      ),
    );
    const mine = requests.filter((m) => Codecs.blockingRequest.decode(m.value).subject.value === url);
    expect(mine.map((m) => m.tenantId).sort()).toEqual(ISPS);
    expect(
      mine.every((m) => Codecs.blockingRequest.decode(m.value).evidence.hits[0]?.bankId === list.bankId),
    ).toBe(true);
  });
});

describe("an ISP's own Kafka topic", () => {
  it('dead-letters an event whose URL does not normalise with the URL code, and goes on with the partition', async () => {
    const isp = await grantPartner(scene.world, 'e2e-partner-b', 'isp-2', 'isp');
    const topic = partnerTopic(scene.world.prefix, 'urlObserved', 'isp-2');
    const event = (url: string) =>
      JSON.stringify({
        eventId: randomUUID(),
        tenantId: 'isp-2',
        source: 'kafka',
        url,
        observedAt: new Date().toISOString(),
      });
    const notMedia = () =>
      counterValue(scene.fetcher.registry, 'mod_fetcher_observed_total', { outcome: 'not-media-url' });
    try {
      const before = await notMedia();
      // Before, each was dropped: counted as bad-url, and nothing said which partner sent what.
      const refused = {
        'bad-scheme': 'javascript:alert(1)',
        'no-host': 'http://',
        'bad-host': 'http://a..b/',
      };
      await isp.producer.send({
        topic,
        messages: [
          ...Object.entries(refused).map(([key, url]) => ({ key, value: event(url) })),
          { key: 'after', value: event(`http://after-${randomUUID().slice(0, 8)}.example/page.html`) },
        ],
      });
      const codes = await Promise.all(
        Object.keys(refused).map(async (key) => {
          const [letter] = await scene.deadLettersFor(key);
          expect(letter?.sourceTopic, key).toBe(topic);
          return letter?.reason.code;
        }),
      );
      expect(codes).toEqual(['MOD_ERR_URL_SCHEME', 'MOD_ERR_URL_INVALID', 'MOD_ERR_URL_HOST']);
      await waitFor(
        'the event behind the refused ones',
        async () => (await notMedia()) > before || undefined,
      );
    } finally {
      await isp.close();
    }
  });

  it('cannot hide a listed URL from every ISP by sending it under an event id it used before', async () => {
    // An ISP chooses its events' ids. Its ids were derived from the id alone: the same id sent again with another
    // URL named the first URL's submission, so the second URL's verdict was dropped as a replay, while the URL stayed
    // remembered as seen for SEEN_TTL_MS, and another ISP's observation of it was skipped: no blocking request.
    const isp = await grantPartner(scene.world, 'e2e-partner-b', 'isp-2', 'isp');
    const tag = randomUUID().slice(0, 8);
    const [first, hidden] = [`http://first-${tag}.example/a.html`, `http://hidden-${tag}.example/b.html`];
    const urls = [first, hidden];
    await createUrlList(
      scene.world,
      `reused-${tag}`,
      urls.map((pattern) => ({ kind: 'url' as const, pattern, dedicatedToAbuse: false, block: true })),
    );
    await waitFor('the fetcher to know both entries', async () =>
      urls.every((u) => scene.fetcher.service.urlLists.index().match(normalizeUrlOrThrow(u)).length > 0),
    );
    const blockedFor = (url: string) =>
      readPartners(scene.world, 'blockingRequests', ISPS, (r) =>
        ISPS.every((t) =>
          r.some((m) => m.tenantId === t && Codecs.blockingRequest.decode(m.value).subject.value === url),
        ),
      );
    const eventId = randomUUID();
    const observed = (url: string) =>
      JSON.stringify({
        eventId,
        tenantId: 'isp-2',
        source: 'kafka',
        url,
        observedAt: new Date().toISOString(),
      });
    const topic = partnerTopic(scene.world.prefix, 'urlObserved', 'isp-2');
    try {
      await isp.producer.send({ topic, messages: [{ key: 'first', value: observed(first) }] });
      await blockedFor(first);
      await isp.producer.send({ topic, messages: [{ key: 'hidden', value: observed(hidden) }] });
      // Another ISP observes the URL too (the API's traffic samples): it is blocked, whoever saw it first.
      const sample = await scene.inject('isp-1', {
        method: 'POST',
        url: '/v1/isp/traffic-samples',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: `${JSON.stringify({ url: hidden })}\n`,
      });
      expect(sample.statusCode).toBe(202);
      const requests = await blockedFor(hidden);
      const mine = requests.filter((m) => Codecs.blockingRequest.decode(m.value).subject.value === hidden);
      expect(mine.map((m) => m.tenantId).sort()).toEqual(ISPS);
    } finally {
      await isp.close();
    }
  });
});

/** Reads a partner's topic as its own principal: what `modctl kafka partner grant` lets it do. */
describe('partners read their own orders on Kafka', () => {
  it("an ISP's principal reads its own blocking requests, and only those", async () => {
    const isp = await grantPartner(scene.world, 'e2e-partner-b', 'isp-2', 'isp');
    try {
      const own = await readTopic(
        isp.kafka,
        partnerTopic(scene.world.prefix, 'blockingRequests', 'isp-2'),
        (r) => r.length > 0,
        30_000,
        partnerGroupPrefix(scene.world.prefix, 'isp-2'),
      );
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((m) => Codecs.blockingRequest.decode(m.value).ispTenantId === 'isp-2')).toBe(true);
      expect(await trySend(isp.kafka, partnerTopic(scene.world.prefix, 'urlObserved', 'isp-1'), 'x')).toMatch(
        /not authorized|authorization failed/i,
      );
    } finally {
      await isp.close();
    }
  });
});
