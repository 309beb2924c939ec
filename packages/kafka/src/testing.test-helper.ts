import { afterAll } from 'vitest';
import type { TopicSpec } from '@mod/contracts';
import { createLogger, type Logger } from '@mod/telemetry';
import { deleteTopics, listTopics } from './admin.js';
import { createKafka, credentialsFromConfig, type Kafka, type KafkaCredentials } from './client.js';
import { readRecords, type ReadRecord } from './inspect.js';

// This package's tests cannot use @mod/testing (it depends on this package), so they keep what they need of it
// here, built on the same production functions.

export const testLogger: Logger = createLogger('test', process.env['TEST_LOG_LEVEL'] ?? 'silent');

/**
 * A connection to the brokers of `KAFKA_BROKERS` (default the local one) as the tests' admin principal: the
 * `KAFKA_SASL_*` and `KAFKA_TLS*` variables the vitest config sets.
 */
export function testKafka(clientId: string, options: { groupInstanceId?: string } = {}): Kafka {
  return createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId,
    logger: testLogger,
    credentials: adminCredentials(process.env),
    ...options,
  });
}

/** A topic-name prefix of the calling test file's own; every topic under it is deleted after the file's tests. */
export function testTopicPrefix(kafka: Kafka): string {
  const prefix = `t-${crypto.randomUUID().slice(0, 8)}.`;
  afterAll(async () => deleteTopics(kafka, await listTopics(kafka, (t) => t.startsWith(prefix))));
  return prefix;
}

/** A test topic of `partitions` partitions, kept an hour and deleted by time. */
export function testTopic(name: string, partitions = 1): TopicSpec {
  return { name, partitions, retentionMs: 3_600_000, cleanupPolicy: 'delete' };
}

/** Reads `topic` from the beginning with a throwaway group until `until(records)` holds or `timeoutMs` passes. */
export function readTopic(
  kafka: Kafka,
  topic: string,
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  return readRecords(kafka, [topic], { until, timeoutMs });
}

function adminCredentials(env: NodeJS.ProcessEnv): KafkaCredentials {
  const mechanism = env['KAFKA_SASL_MECHANISM'] === 'scram-sha-256' ? 'scram-sha-256' : 'scram-sha-512';
  return credentialsFromConfig({
    KAFKA_BROKERS: [],
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: env['KAFKA_SASL_USERNAME'] ?? '',
    KAFKA_SASL_PASSWORD: env['KAFKA_SASL_PASSWORD'] ?? '',
    KAFKA_TLS: env['KAFKA_TLS'] !== 'false',
    KAFKA_TLS_CA_PATH: env['KAFKA_TLS_CA_PATH'] ?? '',
  });
}
