import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import { withAdmin } from './admin.js';
import type { Kafka } from './client.js';
import { createProducer } from './producer.js';
import { createConsumerRunner } from './runner.js';
import { freshTopics } from './runner-fold.test-helper.js';
import { logger, waitFor } from './runner.test-helper.js';

/** Sends one record to each of `partitions` of `topic` with a client of its own (its own view of the partitions). */
async function sendTo(kafka: Kafka, topic: string, partitions: readonly number[]): Promise<void> {
  const raw = new PlatformaticProducer(kafka.base);
  try {
    await raw.send({
      messages: partitions.map((partition) => ({ topic, partition, value: Buffer.from('x') })),
    });
  } finally {
    await raw.close();
  }
}

describe('a runner whose topic is given more partitions while it runs (real Kafka)', () => {
  it('reads the partitions added: it subscribes again when its topics have more partitions', async () => {
    const t = await freshTopics('runner-partitions-added-test', { partitions: 2 });
    const seen = new Set<string>();
    const producer = await createProducer(t.kafka);
    const runner = createConsumerRunner({
      kafka: t.kafka,
      groupId: `${t.prefix}g`,
      topics: [t.topic],
      stepName: 'test',
      step: async (m) => {
        seen.add(`${m.partition}:${m.offset}`);
        return { kind: 'ok' };
      },
      producer,
      deadLetterTopic: t.dlq,
      logger,
      metrics: createStepMetrics(createRegistry('test')),
      // A partner's topics are discovered as they appear; the partition counts are checked as often.
      discover: { list: async () => [], intervalMs: 500 },
    });
    await runner.start();
    try {
      await sendTo(t.kafka, t.topic, [0, 1]);
      await waitFor(() => seen.size === 2);
      await withAdmin(t.kafka, (admin) => admin.createPartitions({ topics: [{ name: t.topic, count: 4 }] }));
      await sendTo(t.kafka, t.topic, [0, 1, 2, 3]);
      // Before: the records of partitions 2 and 3 were never read (no rebalance assigned them), the test timed out
      // here; the group assigned them only when a member joined or left.
      await waitFor(() => seen.size === 6, 60_000);
      expect([...seen].sort()).toEqual(['0:0', '0:1', '1:0', '1:1', '2:0', '3:0']);
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 120_000);
});
