import { describe, expect, it } from 'vitest';
import { partnerTopicSpec, topicSpecs, Topics } from '@mod/contracts';
import { ensureTopics, reconcileTopics, topicConfigValue } from './index.js';
import { testKafka, testTopicPrefix } from './testing.test-helper.js';

// The broker deletes whole segments only, and a segment only once its newest record is older than retention.ms:
// the active segment rolls after segment.ms (default 7 days) or segment.bytes (1 GiB). A media topic kept "6 hours"
// that receives pictures steadily but less than 1 GiB a week kept each of them for up to 7 days and 6 hours (the
// active segment's newest record is always recent). How long the broker keeps a record at most is retention.ms +
// segment.ms (+ its retention check's interval).

const kafka = testKafka('topic-media-lifetime-test');
const prefix = testTopicPrefix(kafka);
const HOUR_MS = 3_600_000;
const config = (topic: string, name: string) => topicConfigValue(kafka, topic, name);
/** The longest the broker may keep a record of `topic`: its retention plus its segments' roll time. */
async function longestKept(topic: string): Promise<number> {
  return Number(await config(topic, 'retention.ms')) + Number(await config(topic, 'segment.ms'));
}

describe('how long the topics carrying media and observed URLs keep them', () => {
  it('keeps media at most 7 hours and observed URLs at most 28 hours, internal and partner topics alike', async () => {
    const internal = topicSpecs(prefix).filter(
      (s) => s.name === prefix + Topics.mediaSubmitted || s.name === prefix + Topics.urlObserved,
    );
    const media = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-a');
    const urls = partnerTopicSpec(prefix, 'urlObserved', 'isp-a');
    await ensureTopics(kafka, [...internal.map((s) => ({ ...s, partitions: 1 })), media, urls]);

    expect(await longestKept(prefix + Topics.mediaSubmitted)).toBeLessThanOrEqual(7 * HOUR_MS);
    expect(await longestKept(media.name)).toBeLessThanOrEqual(7 * HOUR_MS);
    expect(await longestKept(prefix + Topics.urlObserved)).toBeLessThanOrEqual(28 * HOUR_MS);
    expect(await longestKept(urls.name)).toBeLessThanOrEqual(28 * HOUR_MS);
  });

  it('rolls the segments of a media topic made before (setup, partner grant), once', async () => {
    const spec = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-old');
    // As partner grant made it before its spec set the roll time.
    const { segmentMs: _, ...asBefore } = spec;
    await ensureTopics(kafka, [asBefore]);
    expect(await config(spec.name, 'segment.ms')).toBe(String(7 * 24 * HOUR_MS));

    expect(await ensureTopics(kafka, [spec])).toEqual({ created: [], updated: [spec.name] });
    expect(await longestKept(spec.name)).toBeLessThanOrEqual(7 * HOUR_MS);
    expect(await reconcileTopics(kafka, [spec])).toEqual([]);
  });
});
