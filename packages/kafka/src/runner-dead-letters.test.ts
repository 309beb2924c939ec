import { describe, expect, it } from 'vitest';
import { Codecs, ModError } from '@mod/contracts';
import { createLogger, createRegistry, createStepMetrics } from '@mod/telemetry';
import { createConsumerRunner, createProducer, ensureTopics, type StepOutcome } from './index.js';
import { MAX_DEAD_LETTER_KEY_CHARS } from './processing.js';
import { readTopic, testKafka, testTopic } from './testing.test-helper.js';
import { waitFor } from './runner.test-helper.js';

describe('dead letters of hostile messages (real Kafka)', () => {
  it('dead-letters a message whose key is as large as its topic allows, instead of retrying it forever (the key twice over did not fit the dead-letter topic)', async () => {
    const kafka = testKafka('runner-dead-letters-test');
    const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
    const topic = `${prefix}in`;
    const dlq = `${prefix}dlq`;
    // Both topics take records of 64 KiB at most; the sender's key fills most of one.
    await ensureTopics(kafka, [testTopic(topic), testTopic(dlq)], { maxMessageBytes: 64 * 1024 });
    const producer = await createProducer(kafka);
    try {
      const hugeKey = 'k'.repeat(40 * 1024);
      await producer.send({
        topic,
        messages: [
          { key: hugeKey, value: 'bad' },
          { key: 'k', value: 'good' },
        ],
      });
      // What the service logs, as its log file would hold it.
      const lines: string[] = [];
      const logger = createLogger('test', 'warn', { write: (line: string) => void lines.push(line) });
      const seen: string[] = [];
      const step = async (m: { key: string | null; value: Buffer | null }): Promise<StepOutcome> => {
        seen.push(m.value?.toString() ?? '');
        if (m.value?.toString() === 'bad')
          throw new ModError('MOD_ERR_TEST_BAD_INPUT', `no such thing as ${m.key ?? ''}`);
        return { kind: 'ok' };
      };
      const runner = createConsumerRunner({
        kafka,
        groupId: `${prefix}g`,
        topics: [topic],
        stepName: 'test',
        step,
        producer,
        deadLetterTopic: dlq,
        logger,
        metrics: createStepMetrics(createRegistry('test')),
        retryDelayMs: 20,
        maxInFlight: 1,
      });
      await runner.start();
      try {
        await waitFor(() => seen.includes('good'), 20_000);
      } finally {
        await runner.stop();
      }
      // Processed once: dead-lettered at the first failure, not retried.
      expect(seen).toEqual(['bad', 'good']);
      const letters = await readTopic(kafka, dlq, (r) => r.length >= 1, 20_000);
      expect(letters).toHaveLength(1);
      const letter = Codecs.deadLetter.decode(letters[0]?.value ?? null);
      expect(letter.reason.code).toBe('MOD_ERR_TEST_BAD_INPUT');
      expect(letter.reason.message.length).toBeLessThanOrEqual(2000);
      expect(letter.sourceKey).toBe(hugeKey.slice(0, MAX_DEAD_LETTER_KEY_CHARS));
      expect(letters[0]?.key?.length).toBe(MAX_DEAD_LETTER_KEY_CHARS);
      expect(letter.sourceOffset).toBe('0');
      // The log line says why, within the same bound (the sender's text was 40 KiB).
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string });
      const deadLettered = logged.find((l) => l.msg === 'dead-lettered');
      expect(deadLettered?.reason).toBe(letter.reason.message);
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(4096);
    } finally {
      await producer.disconnect();
    }
  });
});
