import { Writable } from 'node:stream';
import { Consumer as PlatformaticConsumer, MessagesStreamModes } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry, createStepMetrics } from '@mod/telemetry';
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
    // Three rebalances of a group on the real broker: seconds here, past the unit tests' 30 s on a loaded machine.
  }, 120_000);

  it('a twin elsewhere with its instance id fences it: it says so, never dies of the fenced client, and consumes on', async () => {
    const twinTopic = `${prefix}twin`;
    await ensureTopics(kafka, [testTopic(twinTopic, 2)]);
    const groupId = `${prefix}twin-g`;
    const lines: { msg?: string; code?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as { msg?: string; code?: string });
        done();
      },
    });
    const seen = new Set<string>();
    const runner = createConsumerRunner({
      kafka: testKafka('runner-test', { groupInstanceId: 'twin-0' }),
      groupId,
      topics: [twinTopic],
      stepName: 'twin',
      step: async (m) => (seen.add(m.value?.toString() ?? ''), ok),
      producer: kit.producer,
      deadLetterTopic: dlq,
      logger: createLogger('twin', 'info', sink),
      metrics: createStepMetrics(createRegistry('twin')),
    });
    // Another process configured alike: a bare client with the same instance id, outside the runner's claims.
    const twin = new PlatformaticConsumer({
      ...kafka.base,
      groupId,
      groupInstanceId: 'twin-0',
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    twin.on('error', () => undefined);
    // Node turns an unheard client 'error' into this; vitest would report it after the test, not fail in it.
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    await runner.start();
    try {
      const stream = await twin.consume({
        topics: [twinTopic],
        mode: MessagesStreamModes.LATEST,
        autocommit: false,
      });
      stream.on('data', () => undefined);
      await waitFor(() => lines.some((l) => l.code === 'MOD_ERR_KAFKA_INSTANCE_FENCED'));
      // The other process stops as a runner does, its stream before its client. (A client closed under an open
      // stream while fenced keeps its assignment with no topics: the stream's next fetch throws a TypeError.)
      await stream.close().catch(() => undefined);
      await twin.close(true).catch(() => undefined);
      await waitForAsync(async () => {
        const members = await describeGroupMembers(kafka, groupId);
        return members.length === 1 && members[0]?.groupInstanceId === null && runner.isReady();
      }, 60_000);
      await kit.producer.send({
        topic: twinTopic,
        messages: ['a', 'b', 'c', 'd'].map((v) => ({ key: v, value: v })),
      });
      await waitFor(() => ['a', 'b', 'c', 'd'].every((v) => seen.has(v)), 60_000);
    } finally {
      await twin.close(true).catch(() => undefined);
      await runner.stop();
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  }, 120_000);

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
