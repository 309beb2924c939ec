import { describe, expect, it } from 'vitest';
import { partnerTopicSpecOf, partnerTopicSpecs, topicSpecs } from './topics.js';

describe('topic specs', () => {
  it("stamps with the broker's time exactly the topics partners write: every kind's inbound topic", () => {
    const stamped = (specs: { name: string; timestampType?: string }[]) =>
      specs.filter((s) => s.timestampType === 'LogAppendTime').map((s) => s.name);
    expect(stamped(partnerTopicSpecs('p.', 'platform', 'plat-1'))).toEqual([
      'p.mod.media-submitted.v2.plat-1',
    ]);
    expect(stamped(partnerTopicSpecs('p.', 'isp', 'isp-1'))).toEqual(['p.mod.url-observed.v1.isp-1']);
    expect(stamped(topicSpecs('p.'))).toEqual([]);
  });

  it("finds a partner topic's spec by its name, of any base, and nothing for other topics", () => {
    for (const spec of [
      ...partnerTopicSpecs('p.', 'platform', 'plat-1'),
      ...partnerTopicSpecs('p.', 'isp', 'isp-1'),
    ])
      expect(partnerTopicSpecOf('p.', spec.name)).toEqual(spec);
    for (const name of [
      'p.mod.media-submitted.v2',
      'mod.media-submitted.v2.plat-1',
      'p.mod.verdicts.v1.x',
      'p.mod.url-observed.v1.A',
    ])
      expect(partnerTopicSpecOf('p.', name), name).toBeNull();
  });
});
