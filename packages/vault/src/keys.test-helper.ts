import { randomBytes } from 'node:crypto';
import { createMasterKeyring, type MasterKeyring } from './master-keys.js';

// Test support for this package's tests (not exported): fresh keys, and the code of what a call throws.

/** A fresh random master key as `MOD_VAULT_MASTER_KEY` holds one (32 bytes, base64). */
export const keyText = (): string => randomBytes(32).toString('base64');

/** A keyring whose current key is fresh and random. */
export const keyring = (): MasterKeyring => createMasterKeyring({ current: keyText() });

/** The `code` of the error `fn` throws; undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}
