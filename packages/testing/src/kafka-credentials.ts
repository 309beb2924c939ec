import { existsSync, readFileSync } from 'node:fs';
import { credentialsFromConfig, type KafkaCredentials } from '@mod/kafka';

/**
 * Credentials for tests and tools from an environment: the principal `name`'s file
 * (`<MOD_KAFKA_CREDENTIALS_DIR>/<name>.env`, as `deploy/local/kafka.sh` writes them), or without a name the
 * `KAFKA_SASL_*` variables themselves (an admin principal in tests); TLS with `KAFKA_TLS_CA_PATH` unless
 * `KAFKA_TLS=false`. Read as a service reads its own (`credentialsFromConfig`).
 */
export function credentialsFromEnvironment(
  name?: string,
  env: NodeJS.ProcessEnv = process.env,
): KafkaCredentials {
  const principal = name === undefined ? env : principalFile(name, env);
  return credentialsFromConfig({
    KAFKA_BROKERS: testBrokers(env),
    KAFKA_SASL_MECHANISM: env['KAFKA_SASL_MECHANISM'] === 'scram-sha-256' ? 'scram-sha-256' : 'scram-sha-512',
    KAFKA_SASL_USERNAME: principal['KAFKA_SASL_USERNAME'] ?? '',
    KAFKA_SASL_PASSWORD: principal['KAFKA_SASL_PASSWORD'] ?? '',
    KAFKA_TLS: env['KAFKA_TLS'] !== 'false',
    KAFKA_TLS_CA_PATH: env['KAFKA_TLS_CA_PATH'] ?? '',
  });
}

/** The brokers tests reach: `KAFKA_BROKERS` (comma-separated), else the local broker. */
export function testBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
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

/** The `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD` lines of a principal's credentials file. */
function principalFile(name: string, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const dir = env['MOD_KAFKA_CREDENTIALS_DIR'] ?? '';
  const file = `${dir}/${name}.env`;
  if (dir === '' || !existsSync(file))
    throw new Error(`no credentials for Kafka principal ${name} (MOD_KAFKA_CREDENTIALS_DIR=${dir})`);
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => /^(KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD)=(.*)$/.exec(l))
      .flatMap((m) => (m === null ? [] : [[m[1], m[2]]])),
  ) as Record<string, string | undefined>;
}
