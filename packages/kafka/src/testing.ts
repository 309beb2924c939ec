import { existsSync, readFileSync } from 'node:fs';
import type { Kafka, KafkaCredentials } from './client.js';
import { readRecords, type ReadRecord } from './inspect.js';

export type { ReadRecord } from './inspect.js';

/**
 * Reads a topic (or several) from the beginning until `until(records)` holds or `timeoutMs` passes, with a
 * throwaway group. For tests and the demo: returns everything read.
 */
export function readTopic(
  kafka: Kafka,
  topic: string | readonly string[],
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 30_000,
  /** Prefix of the throwaway group's id (a partner may use only groups under its own prefix). */
  groupPrefix = 'reader-',
): Promise<ReadRecord[]> {
  return readRecords(kafka, typeof topic === 'string' ? [topic] : topic, { until, timeoutMs, groupPrefix });
}

/**
 * Credentials for tests and tools from an environment: the principal `name`'s file
 * (`<MOD_KAFKA_CREDENTIALS_DIR>/<name>.env`, as `deploy/local/kafka.sh` writes them), or without a name the
 * `KAFKA_SASL_*` variables themselves (an admin principal in tests); TLS with `KAFKA_TLS_CA_PATH` unless
 * `KAFKA_TLS=false`.
 */
export function credentialsFromEnvironment(
  name?: string,
  env: NodeJS.ProcessEnv = process.env,
): KafkaCredentials {
  let username = env['KAFKA_SASL_USERNAME'] ?? '';
  let password = env['KAFKA_SASL_PASSWORD'] ?? '';
  if (name !== undefined) {
    const dir = env['MOD_KAFKA_CREDENTIALS_DIR'] ?? '';
    const file = `${dir}/${name}.env`;
    if (dir === '' || !existsSync(file))
      throw new Error(`no credentials for Kafka principal ${name} (MOD_KAFKA_CREDENTIALS_DIR=${dir})`);
    const lines = Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
        .flatMap((m) => (m === null ? [] : [[m[1], m[2]]])),
    ) as Record<string, string | undefined>;
    username = lines['KAFKA_SASL_USERNAME'] ?? '';
    password = lines['KAFKA_SASL_PASSWORD'] ?? '';
  }
  const tls = env['KAFKA_TLS'] !== 'false';
  const caPath = env['KAFKA_TLS_CA_PATH'] ?? '';
  return {
    mechanism: env['KAFKA_SASL_MECHANISM'] === 'scram-sha-256' ? 'scram-sha-256' : 'scram-sha-512',
    username,
    password,
    tls,
    ...(tls && caPath !== '' ? { caPem: readFileSync(caPath, 'utf8') } : {}),
  };
}

/** The `KAFKA_*` variables a service needs to run as principal `name` (for tests that start services). */
export function serviceEnvironment(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const c = credentialsFromEnvironment(name, env);
  return {
    KAFKA_SASL_MECHANISM: c.mechanism,
    KAFKA_SASL_USERNAME: c.username,
    KAFKA_SASL_PASSWORD: c.password,
    KAFKA_TLS: String(c.tls),
    KAFKA_TLS_CA_PATH: env['KAFKA_TLS_CA_PATH'] ?? '',
  };
}
