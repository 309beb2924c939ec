import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Consumer, MessagesStream } from '@platformatic/kafka';
import {
  assertClientSupported,
  clientProblems,
  installedClientVersion,
  KafkaClientUnsupportedError,
  SUPPORTED_CLIENT_VERSION,
  type ClientSurface,
} from './client-internals.js';

const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  pnpm: { patchedDependencies: Record<string, string> };
};
const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

const surface = (o: Partial<ClientSurface> = {}): ClientSurface => ({
  version: installedClientVersion(),
  consumer: Consumer.prototype,
  stream: MessagesStream.prototype,
  exports: { MAX_INFLATED_BYTES_PER_FETCH: 1 },
  ...o,
});

describe('the Kafka client this package relies on (client-internals)', () => {
  it('is installed at exactly the version the patch and client-internals were written for, patched', () => {
    expect(installedClientVersion()).toBe(SUPPORTED_CLIENT_VERSION);
    expect(own.dependencies['@platformatic/kafka']).toBe(SUPPORTED_CLIENT_VERSION);
    expect(Object.keys(root.pnpm.patchedDependencies)).toContain(
      `@platformatic/kafka@${SUPPORTED_CLIENT_VERSION}`,
    );
    expect(clientProblems(surface())).toEqual([]);
    expect(() => assertClientSupported()).not.toThrow();
  });

  it('another version, or the patch not applied, fails with MOD_ERR_KAFKA_CLIENT_UNSUPPORTED', () => {
    const refused = (s: ClientSurface) => {
      try {
        assertClientSupported(s);
      } catch (err) {
        expect(err).toBeInstanceOf(KafkaClientUnsupportedError);
        return (err as KafkaClientUnsupportedError).code;
      }
      return 'accepted';
    };
    expect(refused(surface({ version: '2.13.0' }))).toBe('MOD_ERR_KAFKA_CLIENT_UNSUPPORTED');
    // The stream's prototype without the patch's forgetOffsets and joins.
    expect(refused(surface({ stream: Object.create(null) as object }))).toBe(
      'MOD_ERR_KAFKA_CLIENT_UNSUPPORTED',
    );
    expect(refused(surface({ exports: {} }))).toBe('MOD_ERR_KAFKA_CLIENT_UNSUPPORTED');
    expect(refused(surface({ consumer: { fetch: () => undefined } }))).toBe(
      'MOD_ERR_KAFKA_CLIENT_UNSUPPORTED',
    );
  });
});
