import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER, partnerTopic } from '@mod/contracts';
import { grantPartner, makePhoto, publishPartnerMedia, waitScanned } from './helpers.js';
import { useTrustScene } from './trust-boundaries-scene.js';

/**
 * What it costs the pipeline to refuse a partner's malformed event. A partner's topic takes records of 16 MiB, and a
 * `mod-meta` header (or an observed-URL value) of 12 MiB of nested brackets took the scanner (and the classifier,
 * and the fetcher) seconds of its only event loop to parse before it was refused, per message and per consumer:
 * every tenant's scans, the consumers' heartbeats and the health probes waited meanwhile. A valid event is at most
 * a few tens of kilobytes; anything larger is refused unread. The pipeline runs in this process, so its event loop
 * is the test's.
 */

const scene = useTrustScene({ fetcher: true });

const nested = (bytes: number) => Buffer.from('['.repeat(bytes / 2) + ']'.repeat(bytes / 2));

describe("a partner's oversized event is refused without being parsed", () => {
  it('dead-letters 12 MiB mod-meta headers and observed-URL values without holding the event loop', async () => {
    const { world } = scene;
    const isp = await grantPartner(world, 'e2e-partner-a', 'isp-1', 'isp');
    try {
      const monitor = monitorEventLoopDelay({ resolution: 10 });
      monitor.enable();
      const keys = ['deep-meta-1', 'deep-meta-2'];
      for (const key of keys)
        await scene.platformA.producer.send({
          topic: partnerTopic(world.prefix, 'mediaSubmitted', 'platform-a'),
          messages: [{ key, value: scene.known, headers: { [MEDIA_META_HEADER]: nested(12 * 1024 * 1024) } }],
        });
      await isp.producer.send({
        topic: partnerTopic(world.prefix, 'urlObserved', 'isp-1'),
        messages: [{ key: 'deep-observed', value: nested(12 * 1024 * 1024) }],
      });
      for (const key of [...keys, 'deep-observed'])
        expect(
          (await scene.deadLettersFor(key)).map((l) => l.reason.code),
          key,
        ).toEqual(['MOD_ERR_CONTRACT_INVALID']);
      monitor.disable();
      const longestMs = monitor.max / 1e6;
      console.info(`[cost] longest event-loop delay while refusing: ${Math.round(longestMs)} ms`);
      expect(longestMs).toBeLessThan(1500);
      // The partition goes on.
      const after = await publishPartnerMedia(world, scene.platformA, await makePhoto(47), {
        eventId: randomUUID(),
      });
      await waitScanned(world, 'the event behind the refused ones', [after]);
    } finally {
      await isp.close();
    }
  });
});
