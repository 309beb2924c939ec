import { randomBytes } from 'node:crypto';

// Test support for this package's tests (not exported): a fresh key, and the code of what a call throws.

/** A fresh random master key as `MOD_VAULT_MASTER_KEY` holds one (32 bytes, base64). */
export const keyText = (): string => randomBytes(32).toString('base64');

/** The `code` of the error `fn` throws; undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}
