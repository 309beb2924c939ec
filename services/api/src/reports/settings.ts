import { randomBytes } from 'node:crypto';
import { env, type ConfigOf } from '@mod/config';
import { parseSecretKey, type SecretKey } from '@mod/people';
import { parseSecretKeys, secretKeyField, secretKeysField } from '../people-config.js';

/** Citizens' reports (issue 23): deadlines, the reporters' contact details, the public form's abuse limits. */
export const reportSpec = {
  REPORT_DEADLINE_HOURS: env.integer({
    default: 24,
    min: 1,
    max: 24 * 30,
    doc: "citizens' reports: hours from receipt within which a report must reach an outcome",
  }),
  REPORT_CONTACT_KEY: secretKeyField(
    "citizens' reports: 32 random bytes, base64 (openssl rand -base64 32), sealing reporters' contact details (AES-256-GCM); empty: contact details are refused",
  ),
  REPORT_CONTACT_PREVIOUS_KEYS: secretKeysField(
    "citizens' reports: earlier contact keys, comma-separated: contact details sealed under them still open after a rotation (new ones are sealed under REPORT_CONTACT_KEY)",
  ),
  REPORT_CONTACT_RETENTION_DAYS: env.integer({
    default: 90,
    min: 1,
    max: 3650,
    doc: "citizens' reports: days a reporter's contact details are kept, then deleted",
  }),
  REPORT_FORM_SECRET: secretKeyField(
    "citizens' reports: 32 random bytes, base64, signing the public form's tokens (the same on every API instance); empty: a random key per process",
  ),
  REPORT_POW_BITS: env.integer({
    default: 14,
    min: 0,
    max: 24,
    doc: "citizens' reports: proof-of-work difficulty (leading zero bits) the form's script solves; 0: none",
  }),
  REPORT_POW_REQUIRED: env.boolean({
    default: false,
    doc: "citizens' reports: refuse reports without the proof of work (the form then needs JavaScript)",
  }),
  REPORT_RATE_PER_HOUR: env.integer({
    default: 10,
    min: 1,
    doc: "citizens' reports: reports per client address and hour without proof of work (bursts of REPORT_RATE_BURST)",
  }),
  REPORT_RATE_BURST: env.integer({ default: 5, min: 1, doc: "citizens' reports: burst per client address" }),
  REPORT_PROVEN_RATE_PER_HOUR: env.integer({
    default: 60,
    min: 1,
    doc: "citizens' reports: reports per client address and hour with proof of work",
  }),
  REPORT_STATUS_PER_HOUR: env.integer({
    default: 120,
    min: 1,
    doc: "citizens' reports: status look-ups per client address and hour (bursts of 30)",
  }),
  REPORT_STATUS_EARLY_OUTCOME: env.boolean({
    default: false,
    doc: "citizens' reports: the public status look-up tells an outcome reached before the report's deadline at once; default: from the deadline on (a URL a list holds is settled in seconds, so telling it at once says whether a URL is listed)",
  }),
  REPORT_MAX_PER_SECOND: env.integer({
    default: 50,
    min: 1,
    doc: "citizens' reports: reports accepted per second from the whole public (beyond: 503 MOD_ERR_API_REPORT_BUSY)",
  }),
} as const;

export interface ReportSettings {
  deadlineHours: number;
  /** Seals contact details; null: they are refused (503 MOD_ERR_API_REPORT_CONTACT_UNAVAILABLE). */
  contactKey: SecretKey | null;
  /** Earlier contact keys: details sealed under one of them still open (`contactKeyFor`). */
  contactPreviousKeys: readonly SecretKey[];
  contactRetentionDays: number;
  formSecret: Buffer;
  powBits: number;
  powRequired: boolean;
  plain: { perHour: number; burst: number };
  proven: { perHour: number; burst: number };
  statusLookups: { perHour: number; burst: number };
  /** The public look-up tells an outcome before the report's deadline (`reportStatusByTracking`). */
  earlyOutcome: boolean;
  maxPerSecond: number;
  timeZone: string;
}

export const DEFAULT_REPORT_SETTINGS: ReportSettings = {
  deadlineHours: 24,
  contactKey: null,
  contactPreviousKeys: [],
  contactRetentionDays: 90,
  formSecret: randomBytes(32),
  powBits: 14,
  powRequired: false,
  plain: { perHour: 10, burst: 5 },
  proven: { perHour: 60, burst: 20 },
  statusLookups: { perHour: 120, burst: 30 },
  earlyOutcome: false,
  maxPerSecond: 50,
  timeZone: 'Asia/Ho_Chi_Minh',
};

export function reportSettingsFromConfig(config: ConfigOf<typeof reportSpec>): ReportSettings {
  return {
    deadlineHours: config.REPORT_DEADLINE_HOURS,
    contactKey: config.REPORT_CONTACT_KEY === '' ? null : parseSecretKey(config.REPORT_CONTACT_KEY),
    contactPreviousKeys: parseSecretKeys(config.REPORT_CONTACT_PREVIOUS_KEYS),
    contactRetentionDays: config.REPORT_CONTACT_RETENTION_DAYS,
    formSecret:
      config.REPORT_FORM_SECRET === '' ? randomBytes(32) : parseSecretKey(config.REPORT_FORM_SECRET).bytes,
    powBits: config.REPORT_POW_BITS,
    powRequired: config.REPORT_POW_REQUIRED,
    plain: { perHour: config.REPORT_RATE_PER_HOUR, burst: config.REPORT_RATE_BURST },
    proven: { perHour: config.REPORT_PROVEN_RATE_PER_HOUR, burst: Math.max(config.REPORT_RATE_BURST, 20) },
    statusLookups: { perHour: config.REPORT_STATUS_PER_HOUR, burst: 30 },
    earlyOutcome: config.REPORT_STATUS_EARLY_OUTCOME,
    maxPerSecond: config.REPORT_MAX_PER_SECOND,
    timeZone: 'Asia/Ho_Chi_Minh',
  };
}

/** The configured key that sealed contact details under `keyId` (current or earlier), or null when none did. */
export function contactKeyFor(settings: ReportSettings, keyId: string): SecretKey | null {
  const keys =
    settings.contactKey === null
      ? settings.contactPreviousKeys
      : [settings.contactKey, ...settings.contactPreviousKeys];
  return keys.find((k) => k.fingerprint === keyId) ?? null;
}
