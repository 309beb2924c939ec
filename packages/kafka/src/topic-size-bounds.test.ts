import { describe, expect, it } from 'vitest';
import { PartnerInboundRetentionBytes, partnerTopicSpec } from '@mod/contracts';
import { createProducer, ensureTopics, reconcileTopics, topicConfigValue } from './index.js';
import { testKafka, testTopic, testTopicPrefix } from './testing.test-helper.js';

// A partner writes its inbound topic at whatever rate it likes: kept by time only (media 6 hours, observed URLs a
// day), what it wrote could fill the brokers' disks, and a full log directory takes every tenant's topics down.

const kafka = testKafka('topic-size-bounds-test');
const prefix = testTopicPrefix(kafka);
const retentionBytes = (topic: string) => topicConfigValue(kafka, topic, 'retention.bytes');

describe('topic size bounds', () => {
  it("creates a partner's inbound topics with a bound on the bytes they keep; the topics only our services write keep none", async () => {
    const media = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-a');
    const urls = partnerTopicSpec(prefix, 'urlObserved', 'isp-a');
    const outbound = partnerTopicSpec(prefix, 'blockingRequests', 'isp-a');
    const internal = testTopic(`${prefix}internal`);
    await ensureTopics(kafka, [media, urls, outbound, internal]);
    expect(await retentionBytes(media.name)).toBe(String(PartnerInboundRetentionBytes.mediaSubmitted));
    expect(await retentionBytes(urls.name)).toBe(String(PartnerInboundRetentionBytes.urlObserved));
    expect(await retentionBytes(outbound.name)).toBe('-1');
    expect(await retentionBytes(internal.name)).toBe('-1');
    // Sized for a backlog of hours, never less than the largest batch the topics take.
    expect(PartnerInboundRetentionBytes.urlObserved).toBeGreaterThanOrEqual(256 * 1024 * 1024);
  });

  it('sets the bound on an existing partner topic that lacks it (partner grant, kafka setup), once', async () => {
    const spec = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-old');
    // Made before the bound, as `partner grant` did: LogAppendTime already, no size bound.
    await ensureTopics(kafka, [{ ...testTopic(spec.name), timestampType: 'LogAppendTime' }]);
    expect(await retentionBytes(spec.name)).toBe('-1');
    const producer = await createProducer(kafka);
    await producer.send({ topic: spec.name, messages: [{ key: 'k', value: 'v' }] });
    await producer.disconnect();

    expect(await ensureTopics(kafka, [spec])).toEqual({ created: [], updated: [spec.name] });
    expect(await retentionBytes(spec.name)).toBe(String(PartnerInboundRetentionBytes.mediaSubmitted));
    expect(await ensureTopics(kafka, [spec])).toEqual({ created: [], updated: [] });
    expect(await reconcileTopics(kafka, [spec])).toEqual([]);
  });
});
