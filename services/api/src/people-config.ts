import { env, type ConfigOf, type EnvField } from '@mod/config';
import { checkLockoutPolicy, parseSecretKey, type SecretKey } from '@mod/people';
import { DEFAULT_PEOPLE_SETTINGS, type PeopleSettings } from './session-auth.js';

/** A 32-byte key setting (base64 or hex; empty: none), checked at start-up, never printed. */
export const secretKeyField = (doc: string): EnvField<string> => ({
  ...env.string({ default: '', secret: true, doc }),
  parse(raw) {
    if (raw === '') return raw;
    try {
      parseSecretKey(raw);
      return raw;
    } catch {
      return {
        problem: 'must be 32 bytes, base64 or hex, random (openssl rand -base64 32): not one byte repeated',
      };
    }
  },
});

/** Secret keys, comma-separated (earlier keys kept for a rotation); each 32 bytes, base64 or hex; empty: none. */
export const secretKeysField = (doc: string): EnvField<string> => ({
  ...env.string({ default: '', secret: true, doc }),
  parse(raw) {
    try {
      parseSecretKeys(raw);
      return raw;
    } catch {
      return { problem: 'must be 32-byte random keys, base64 or hex, comma-separated' };
    }
  },
});

/** The keys of a `secretKeysField` value (blank entries ignored). */
export const parseSecretKeys = (raw: string): SecretKey[] =>
  raw
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map((k) => parseSecretKey(k));

/** Staff accounts: the sealing key, session timeouts, the sign-in lock-out, one-time passwords. */
export const peopleSpec = {
  MOD_PEOPLE_SECRET_KEY: secretKeyField(
    'staff accounts: 32 random bytes, base64 (openssl rand -base64 32), sealing TOTP secrets (AES-256-GCM); empty: people cannot sign in',
  ),
  PEOPLE_SESSION_IDLE_MINUTES: env.integer({
    default: 30,
    min: 1,
    max: 24 * 60,
    doc: 'staff accounts: a session unused this many minutes ends',
  }),
  PEOPLE_SESSION_MAX_HOURS: env.integer({
    default: 12,
    min: 1,
    max: 24 * 7,
    doc: 'staff accounts: a session ends this many hours after sign-in, used or not',
  }),
  PEOPLE_ONE_TIME_PASSWORD_HOURS: env.integer({
    default: 72,
    min: 1,
    max: 24 * 30,
    doc: 'staff accounts: how long an admin-issued one-time password works',
  }),
  PEOPLE_SIGN_IN_MAX_FAILURES_PER_LOGIN: env.integer({
    default: 5,
    min: 1,
    doc: 'staff accounts: failed sign-ins of one login from one address (per window) before that pair is refused',
  }),
  PEOPLE_SIGN_IN_MAX_FAILURES_PER_ADDRESS: env.integer({
    default: 30,
    min: 1,
    doc: 'staff accounts: failed sign-ins from one address, any login (per window), before the address is refused',
  }),
  PEOPLE_SIGN_IN_WINDOW_MINUTES: env.integer({
    default: 15,
    min: 1,
    max: 24 * 60,
    doc: 'staff accounts: the window failed sign-ins are counted over, minutes',
  }),
  PEOPLE_TOTP_ISSUER: env.text({
    default: 'Moderation',
    maxLength: 60,
    doc: 'staff accounts: the name authenticator apps show beside the code',
  }),
} as const;

/** `AppDeps.people` from the validated configuration. */
export function peopleSettingsFromConfig(config: ConfigOf<typeof peopleSpec>): PeopleSettings {
  return {
    ...DEFAULT_PEOPLE_SETTINGS,
    secretKey: config.MOD_PEOPLE_SECRET_KEY === '' ? null : parseSecretKey(config.MOD_PEOPLE_SECRET_KEY),
    idleTimeoutMs: config.PEOPLE_SESSION_IDLE_MINUTES * 60_000,
    absoluteTimeoutMs: config.PEOPLE_SESSION_MAX_HOURS * 3600_000,
    oneTimePasswordTtlMs: config.PEOPLE_ONE_TIME_PASSWORD_HOURS * 3600_000,
    lockout: checkLockoutPolicy({
      maxPerLoginAndAddress: config.PEOPLE_SIGN_IN_MAX_FAILURES_PER_LOGIN,
      maxPerAddress: config.PEOPLE_SIGN_IN_MAX_FAILURES_PER_ADDRESS,
      windowMs: config.PEOPLE_SIGN_IN_WINDOW_MINUTES * 60_000,
    }),
    totpIssuer: config.PEOPLE_TOTP_ISSUER,
  };
}
