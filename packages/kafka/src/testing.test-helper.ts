import { credentialsFromConfig, type Kafka, type KafkaCredentials } from './client.js';
import { readRecords, type ReadRecord } from './inspect.js';

// This package's tests cannot use @mod/testing (it depends on this package), so they keep the two pieces of it
// they need here, built on the same production functions.

/** The tests' admin principal: the `KAFKA_SASL_*` and `KAFKA_TLS*` variables the vitest config sets. */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): KafkaCredentials {
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

/** Reads `topic` from the beginning with a throwaway group until `until(records)` holds or `timeoutMs` passes. */
export function readTopic(
  kafka: Kafka,
  topic: string,
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  return readRecords(kafka, [topic], { until, timeoutMs });
}
