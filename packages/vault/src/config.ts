import { env, type ConfigOf, type EnvField } from '@mod/config';
import { createMasterKeyring, masterKeyProblem, type MasterKeyring } from './master-keys.js';
import type { RetentionPolicy } from './retention.js';

/** A secret setting that holds master keys: checked at start-up with every other setting, never printed. */
function masterKeysField(doc: string, many: boolean): EnvField<string> {
  return {
    ...env.string({ default: '', secret: true, doc }),
    parse(raw) {
      const keys = many ? raw.split(',').map((k) => k.trim()) : [raw];
      for (const [i, key] of keys.entries()) {
        const problem = masterKeyProblem(key);
        if (problem !== null) return { problem: many ? `key ${i + 1}: ${problem}` : problem };
      }
      return raw;
    },
  };
}

/**
 * The vault's master keys, for every service that seals or opens evidence (classifier, scanner, API). Empty
 * `MOD_VAULT_MASTER_KEY`: the vault is off, nothing is sealed (the service logs so at start-up).
 */
export const vaultKeySpec = {
  MOD_VAULT_MASTER_KEY: masterKeysField(
    'evidence vault master key: 32 random bytes, base64 (openssl rand -base64 32); seals new evidence. Empty: the vault is off',
    false,
  ),
  MOD_VAULT_PREVIOUS_KEYS: masterKeysField(
    'earlier master keys, base64, comma-separated: evidence sealed under them still opens after a rotation',
    true,
  ),
} as const;

/** Retention of the vault, for the service that sweeps it (the actioner). */
export const vaultRetentionSpec = {
  VAULT_RETENTION_AFTER_CLOSE_HOURS: env.number({
    default: 24 * 30,
    min: 0,
    max: 24 * 365 * 10,
    doc: 'hours after its case closes that evidence (bytes and data key) is destroyed, unless under legal hold',
  }),
  VAULT_UNLINKED_RETENTION_HOURS: env.number({
    default: 24 * 7,
    min: 0,
    max: 24 * 365 * 10,
    doc: 'hours after it was kept that evidence no case ever named is destroyed, unless under legal hold',
  }),
  VAULT_SWEEP_BATCH: env.integer({
    default: 100,
    min: 1,
    max: 10_000,
    doc: 'most evidence items one retention pass destroys (each pass is one transaction)',
  }),
} as const;

export function keyringFromConfig(config: ConfigOf<typeof vaultKeySpec>): MasterKeyring {
  return createMasterKeyring({
    current: config.MOD_VAULT_MASTER_KEY,
    previous: config.MOD_VAULT_PREVIOUS_KEYS.split(','),
  });
}

export function retentionFromConfig(config: ConfigOf<typeof vaultRetentionSpec>): RetentionPolicy {
  return {
    afterCaseClosedHours: config.VAULT_RETENTION_AFTER_CLOSE_HOURS,
    unlinkedHours: config.VAULT_UNLINKED_RETENTION_HOURS,
  };
}

/** Retention as the settings' defaults give it (30 days after the case closes, 7 days for unlinked evidence). */
export const defaultRetentionPolicy: RetentionPolicy = Object.freeze({
  afterCaseClosedHours: vaultRetentionSpec.VAULT_RETENTION_AFTER_CLOSE_HOURS.defaultValue ?? 720,
  unlinkedHours: vaultRetentionSpec.VAULT_UNLINKED_RETENTION_HOURS.defaultValue ?? 168,
});
