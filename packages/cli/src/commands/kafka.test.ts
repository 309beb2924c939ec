import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerInboundRetentionBytes, partnerTopicSpec, serviceAcls } from '@mod/contracts';
import { deleteTopics, ensureTopics, listTopics, removeAcls, topicConfigValue } from '@mod/kafka';
import { kafkaCommand, kafkaFromEnv } from './kafka.js';
import { json, runExpecting } from './modctl-database.test-helper.js';

// `modctl kafka setup` against the real broker, on topics of this file's own prefix.
const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
const saved = process.env['TOPIC_PREFIX'];
beforeAll(() => {
  process.env['TOPIC_PREFIX'] = prefix;
});
afterAll(async () => {
  const { kafka } = kafkaFromEnv();
  await deleteTopics(kafka, await listTopics(kafka, (t) => t.startsWith(prefix)));
  await removeAcls(kafka, serviceAcls({ prefix }));
  if (saved === undefined) delete process.env['TOPIC_PREFIX'];
  else process.env['TOPIC_PREFIX'] = saved;
});

describe('modctl kafka setup', () => {
  it("gives an existing partner's inbound topic the broker's timestamps (LogAppendTime) and its size bound, once", async () => {
    const { kafka } = kafkaFromEnv();
    const inbound = partnerTopicSpec(prefix, 'mediaSubmitted', 'platform-a');
    // As `partner grant` made it before its spec set the timestamp type and the size bound.
    const { timestampType: _, retentionBytes: __, ...asBefore } = inbound;
    await ensureTopics(kafka, [asBefore]);
    expect(await topicConfigValue(kafka, inbound.name, 'message.timestamp.type')).toBe('CreateTime');
    expect(await topicConfigValue(kafka, inbound.name, 'retention.bytes')).toBe('-1');

    const first = json((await runExpecting(kafkaCommand, ['setup', '--partitions', '1'], 0)).out[0]);
    expect(first).toMatchObject({ updated: [inbound.name] });
    expect(first['created']).toHaveLength(8);
    expect(await topicConfigValue(kafka, inbound.name, 'message.timestamp.type')).toBe('LogAppendTime');
    expect(await topicConfigValue(kafka, inbound.name, 'retention.bytes')).toBe(
      String(PartnerInboundRetentionBytes.mediaSubmitted),
    );

    const again = json((await runExpecting(kafkaCommand, ['setup', '--partitions', '1'], 0)).out[0]);
    expect(again).toMatchObject({ created: [], updated: [] });
  });
});
