import { describe, expect, it } from 'vitest';
import { createRegistry, createStepMetrics } from '@mod/telemetry';
import { createConsumerRunner, describeGroupMembers, ensureTopics, ok } from './index.js';
import { testKafka, testTopic } from './testing.test-helper.js';
import { isFencedInstance } from './membership.js';
import { logger, runnerTestKit, waitFor, waitForAsync } from './runner.test-helper.js';

const kit = runnerTestKit();
const { kafka, prefix, dlq } = kit;

describe('consumer runner static membership (real Kafka)', () => {
  it("joins with the connection's instance id; a second runner of the group in this process takes <id>-2", async () => {
    const staticTopic = `${prefix}static`;
    await ensureTopics(kafka, [testTopic(staticTopic, 2)]);
    const instanceKafka = testKafka('runner-test', { groupInstanceId: 'pod-0' });
    const groupId = `${prefix}static-g`;
    const seen: string[] = [];
    const make = () =>
      createConsumerRunner({
        kafka: instanceKafka,
        groupId,
        topics: [staticTopic],
        stepName: 'static',
        step: async (m) => (seen.push(m.value?.toString() ?? ''), ok),
        producer: kit.producer,
        deadLetterTopic: dlq,
        logger,
        metrics: createStepMetrics(createRegistry('static')),
      });
    const ids = async () =>
      (await describeGroupMembers(kafka, groupId)).map((m) => m.groupInstanceId ?? '').sort();
    const [a, b] = [make(), make()];
    await a.start();
    await b.start();
    try {
      await waitForAsync(async () => (await ids()).join() === 'pod-0,pod-0-2');
      await kit.producer.send({
        topic: staticTopic,
        messages: ['1', '2', '3', '4'].map((v) => ({ key: v, value: v })),
      });
      await waitFor(() => seen.length === 4);
      // Stopped, the first leaves the group and frees its id: a runner started next takes it again.
      await a.stop();
      const c = make();
      await c.start();
      await waitForAsync(async () => (await ids()).join() === 'pod-0,pod-0-2');
      await c.stop();
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(seen.sort()).toEqual(['1', '2', '3', '4']);
  });

  it('recognises the broker fencing a member whose instance id another joined with, however wrapped', () => {
    const fenced = { apiId: 'FENCED_INSTANCE_ID', apiCode: 82 };
    expect(isFencedInstance(fenced)).toBe(true);
    expect(isFencedInstance({ message: 'response', errors: [{ apiId: 'NONE' }, fenced] })).toBe(true);
    expect(isFencedInstance({ message: 'join failed', errors: [{ errors: [{ apiCode: 82 }] }] })).toBe(true);
    expect(isFencedInstance(new Error('x', { cause: fenced }))).toBe(true);
    expect(isFencedInstance({ apiId: 'UNKNOWN_MEMBER_ID', apiCode: 25 })).toBe(false);
    expect(isFencedInstance(undefined)).toBe(false);
  });
});
