import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  commonSpec,
  decodeMarksSpec,
  env,
  loadConfig,
  MAX_TIMER_MS,
  partnerTopicsSpec,
  tracingSpec,
} from './index.js';

describe('loadConfig', () => {
  const spec = {
    PORT: env.integer({ default: 8080, min: 1, max: 65535, doc: 'port' }),
    NAME: env.string({ doc: 'name' }),
    MODE: env.oneOf(['a', 'b'], { default: 'a', doc: 'mode' }),
    FLAG: env.boolean({ default: false, doc: 'flag' }),
  };

  it('applies defaults and parses values into a frozen object', () => {
    const c = loadConfig(spec, { NAME: 'x', PORT: '9000', FLAG: 'yes' });
    expect(c).toEqual({ PORT: 9000, NAME: 'x', MODE: 'a', FLAG: true });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem together', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: '70000', MODE: 'c', FLAG: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT must be <= 65535/);
    expect(problems.join('\n')).toMatch(/NAME is required/);
    expect(problems.join('\n')).toMatch(/MODE must be one of a, b/);
    expect(problems.join('\n')).toMatch(/FLAG must be true or false/);
    expect((error as ConfigError).code).toBe('MOD_ERR_CONFIG_INVALID');
  });

  it('refuses credentials in the OTLP endpoint, which the start-up log prints: they belong in OTEL_EXPORTER_OTLP_HEADERS, which it masks', () => {
    for (const endpoint of ['https://user:s3cret@otel.example', 'https://otel.example/?api_key=s3cret']) {
      let error: unknown;
      try {
        loadConfig(tracingSpec, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      } catch (e) {
        error = e;
      }
      expect(error, endpoint).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must/);
      expect((error as ConfigError).message).not.toContain('s3cret');
    }
    for (const endpoint of ['', 'http://127.0.0.1:4318', 'https://otel.example/otlp'])
      expect(
        loadConfig(tracingSpec, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).OTEL_EXPORTER_OTLP_ENDPOINT,
      ).toBe(endpoint);
  });

  it('validates the shared service settings', () => {
    expect(() => loadConfig(commonSpec, { DATABASE_URL: 'mysql://x', DATABASE_SCHEMA: 'Bad-Name' })).toThrow(
      /DATABASE_URL protocol must be postgres: or postgresql:[\s\S]*DATABASE_SCHEMA must match/,
    );
    // A service's own Kafka principal is required: credentials come only from the environment.
    expect(() => loadConfig(commonSpec, {})).toThrow(
      /KAFKA_SASL_USERNAME is required[\s\S]*KAFKA_SASL_PASSWORD is required/,
    );
    const config = loadConfig(commonSpec, { KAFKA_SASL_USERNAME: 'mod-api', KAFKA_SASL_PASSWORD: 'pw' });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_TLS).toBe(true);
    expect(config.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    // A publish answers its caller within this, the broker away or not (1 s to 10 min).
    expect(config.KAFKA_SEND_DEADLINE_MS).toBe(30_000);
    const base = { KAFKA_SASL_USERNAME: 'mod-api', KAFKA_SASL_PASSWORD: 'pw' };
    expect(() => loadConfig(commonSpec, { ...base, KAFKA_SEND_DEADLINE_MS: '999' })).toThrow(
      /KAFKA_SEND_DEADLINE_MS must be >= 1000/,
    );
    expect(() => loadConfig(commonSpec, { ...base, KAFKA_SEND_DEADLINE_MS: '600001' })).toThrow(
      /KAFKA_SEND_DEADLINE_MS must be <= 600000/,
    );
  });

  it("refuses a delay longer than Node's timers take (2^31 - 1 ms), which they would run after 1 ms", () => {
    const spec = { WAIT_MS: env.milliseconds({ default: 1000, min: 0, doc: 'wait' }) };
    expect(loadConfig(spec, { WAIT_MS: String(MAX_TIMER_MS) }).WAIT_MS).toBe(2 ** 31 - 1);
    expect(() => loadConfig(spec, { WAIT_MS: String(2 ** 31) })).toThrow(/WAIT_MS must be <= 2147483647/);
    // A smaller max stays; a larger one is lowered to what timers take.
    const capped = { WAIT_MS: env.milliseconds({ default: 1000, max: 2 ** 40, doc: 'wait' }) };
    expect(() => loadConfig(capped, { WAIT_MS: '3000000000' })).toThrow(/WAIT_MS must be <= 2147483647/);
    const lower = { WAIT_MS: env.milliseconds({ default: 1000, max: 60_000, doc: 'wait' }) };
    expect(() => loadConfig(lower, { WAIT_MS: '60001' })).toThrow(/WAIT_MS must be <= 60000/);
    // The shutdown budget is one: 3,000,000,000 (a value in microseconds, say) ended every shutdown after 1 ms.
    const base = { KAFKA_SASL_USERNAME: 'mod-api', KAFKA_SASL_PASSWORD: 'pw' };
    expect(() => loadConfig(commonSpec, { ...base, SHUTDOWN_TIMEOUT_MS: '3000000000' })).toThrow(
      /SHUTDOWN_TIMEOUT_MS must be <= 2147483647/,
    );
    expect(() => loadConfig(partnerTopicsSpec, { PARTNER_TOPICS_REFRESH_MS: '3000000000' })).toThrow(
      /PARTNER_TOPICS_REFRESH_MS must be <= 2147483647/,
    );
  });

  it('reads the decode marks lease and TTL: defaults 30 s and a day, a lease of 3 s to 10 min, a TTL from an hour', () => {
    expect(loadConfig(decodeMarksSpec, {})).toEqual({
      DECODE_LEASE_MS: 30_000,
      DECODE_MARK_TTL_MS: 86_400_000,
    });
    expect(loadConfig(decodeMarksSpec, { DECODE_LEASE_MS: '5000', DECODE_MARK_TTL_MS: '7200000' })).toEqual({
      DECODE_LEASE_MS: 5000,
      DECODE_MARK_TTL_MS: 7_200_000,
    });
    // A lease renewed every third of it needs a second or so; a TTL shorter than a lease would delete live marks.
    expect(() =>
      loadConfig(decodeMarksSpec, { DECODE_LEASE_MS: '2999', DECODE_MARK_TTL_MS: '3599999' }),
    ).toThrow(/DECODE_LEASE_MS must be >= 3000[\s\S]*DECODE_MARK_TTL_MS must be >= 3600000/);
    expect(() => loadConfig(decodeMarksSpec, { DECODE_LEASE_MS: '600001' })).toThrow(
      /DECODE_LEASE_MS must be <= 600000/,
    );
    expect(() => loadConfig(decodeMarksSpec, { DECODE_MARK_TTL_MS: '3000000000' })).toThrow(
      /DECODE_MARK_TTL_MS must be <= 2147483647/,
    );
  });

  it('reads texts: Unicode counted by characters, control characters and overlong values refused', () => {
    const textSpec = { T: env.text({ default: 'mặc định', maxLength: 6, doc: 'text' }) };
    expect(loadConfig(textSpec, {}).T).toBe('mặc định');
    expect(loadConfig(textSpec, { T: 'Trẻ em' }).T).toBe('Trẻ em');
    expect(() => loadConfig(textSpec, { T: 'a\u0007b' })).toThrow(/T must not contain control characters/);
    // A page's text that reads backwards from the override on: shown other than it is configured.
    expect(() => loadConfig(textSpec, { T: 'a\u202eb' })).toThrow(/T must not contain control characters/);
    expect(() => loadConfig(textSpec, { T: 'abcdefg' })).toThrow(/T must be at most 6 characters, got 7/);
  });
});
