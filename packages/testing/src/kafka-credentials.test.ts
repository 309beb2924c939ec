import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsFromEnvironment, serviceEnvironment, testBrokers } from './kafka-credentials.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mod-testing-'));
  await writeFile(
    join(dir, 'scanner.env'),
    'KAFKA_SASL_USERNAME=scanner\nKAFKA_SASL_PASSWORD=s3cret\nOTHER=x\n',
  );
  await writeFile(join(dir, 'ca.pem'), 'PEM');
  env = {
    KAFKA_SASL_USERNAME: 'admin',
    KAFKA_SASL_PASSWORD: 'admin-pw',
    KAFKA_TLS_CA_PATH: join(dir, 'ca.pem'),
    MOD_KAFKA_CREDENTIALS_DIR: dir,
  };
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('credentialsFromEnvironment', () => {
  it('is the admin principal of KAFKA_SASL_* without a name, over TLS with the CA read', () => {
    expect(credentialsFromEnvironment(undefined, env)).toEqual({
      mechanism: 'scram-sha-512',
      username: 'admin',
      password: 'admin-pw',
      tls: true,
      caPem: 'PEM',
    });
  });

  it("reads a named principal's file, never the admin's variables", () => {
    const c = credentialsFromEnvironment('scanner', { ...env, KAFKA_SASL_MECHANISM: 'scram-sha-256' });
    expect(c).toMatchObject({ mechanism: 'scram-sha-256', username: 'scanner', password: 's3cret' });
  });

  it('says which principal has no file', () => {
    expect(() => credentialsFromEnvironment('nobody', env)).toThrow(
      /no credentials for Kafka principal nobody/,
    );
    expect(() => credentialsFromEnvironment('scanner', { ...env, MOD_KAFKA_CREDENTIALS_DIR: '' })).toThrow(
      /no credentials/,
    );
  });

  it('reads no CA without TLS, and fails with a code when the CA file is missing', () => {
    const plain = credentialsFromEnvironment(undefined, { ...env, KAFKA_TLS: 'false' });
    expect(plain.tls).toBe(false);
    expect(plain.caPem).toBeUndefined();
    expect(() =>
      credentialsFromEnvironment(undefined, { ...env, KAFKA_TLS_CA_PATH: join(dir, 'none') }),
    ).toThrow(expect.objectContaining({ code: 'MOD_ERR_KAFKA_CA_UNREADABLE' }));
  });
});

describe('serviceEnvironment', () => {
  it("gives the service its own principal's KAFKA_* variables", () => {
    expect(serviceEnvironment('scanner', env)).toEqual({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'scanner',
      KAFKA_SASL_PASSWORD: 's3cret',
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_PATH: join(dir, 'ca.pem'),
    });
  });
});

describe('testBrokers', () => {
  it('splits KAFKA_BROKERS, else the local broker', () => {
    expect(testBrokers({ KAFKA_BROKERS: 'a:1,b:2' })).toEqual(['a:1', 'b:2']);
    expect(testBrokers({})).toEqual(['127.0.0.1:9092']);
  });
});
