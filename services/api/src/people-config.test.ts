import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { peopleSettingsFromConfig, peopleSpec } from './people-config.js';
import { reportSpec } from './reports/settings.js';

describe('staff account settings', () => {
  it('default to no sealing key, 30-minute idle and 12-hour sessions, 5/30 failures per 15 minutes', () => {
    const settings = peopleSettingsFromConfig(loadConfig(peopleSpec, {}));
    expect(settings).toMatchObject({
      secretKey: null,
      idleTimeoutMs: 30 * 60_000,
      absoluteTimeoutMs: 12 * 3600_000,
      oneTimePasswordTtlMs: 72 * 3600_000,
      lockout: { maxPerLoginAndAddress: 5, maxPerAddress: 30, windowMs: 15 * 60_000 },
      totpIssuer: 'Moderation',
    });
  });

  it('read the sealing key and refuse one that is not 32 bytes, without printing it', () => {
    const key = randomBytes(32);
    const settings = peopleSettingsFromConfig(
      loadConfig(peopleSpec, {
        MOD_PEOPLE_SECRET_KEY: key.toString('base64'),
        PEOPLE_SESSION_IDLE_MINUTES: '5',
      }),
    );
    expect(settings.secretKey?.bytes.equals(key)).toBe(true);
    expect(settings.idleTimeoutMs).toBe(300_000);
    const short = randomBytes(16).toString('base64');
    let message = '';
    try {
      loadConfig(peopleSpec, { MOD_PEOPLE_SECRET_KEY: short, PEOPLE_SIGN_IN_WINDOW_MINUTES: '0' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/MOD_PEOPLE_SECRET_KEY.*32 bytes/);
    expect(message).toMatch(/PEOPLE_SIGN_IN_WINDOW_MINUTES/);
    expect(message).not.toContain(short);
  });

  it('refuse a key of one byte repeated (a placeholder such as 64 zeros), for staff accounts and reports alike', () => {
    for (const key of ['0'.repeat(64), Buffer.alloc(32, 9).toString('base64')]) {
      expect(() => loadConfig(peopleSpec, { MOD_PEOPLE_SECRET_KEY: key })).toThrow(
        /MOD_PEOPLE_SECRET_KEY must be 32 bytes, base64 or hex, random/,
      );
      for (const name of ['REPORT_CONTACT_KEY', 'REPORT_FORM_SECRET', 'REPORT_CONTACT_PREVIOUS_KEYS'])
        expect(() => loadConfig(reportSpec, { [name]: key }), name).toThrow(new RegExp(`${name} must be 32`));
    }
  });
});
