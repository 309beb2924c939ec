import { PermanentError } from '@mod/contracts';

/**
 * Stable error codes of `@mod/vault`. Never reuse a retired code; keep README.md in sync (a test checks). None is
 * retriable: each is a configuration fault, tampering, or a request that cannot succeed by trying again.
 */
export const VaultErrorCode = {
  /** A master key in the environment is not 32 bytes of base64, repeats, or no key is configured where one is needed. */
  KEY_MATERIAL: 'MOD_ERR_VAULT_KEY_MATERIAL',
  /** The item was sealed under a master key this process does not hold (a wrong or retired key in the environment). */
  MASTER_KEY_UNKNOWN: 'MOD_ERR_VAULT_MASTER_KEY_UNKNOWN',
  /** Authentication failed: the ciphertext, its nonce or tag, the wrapped key, or the item it is bound to changed. */
  TAMPERED: 'MOD_ERR_VAULT_TAMPERED',
  /** The item's bytes and data key were destroyed under the retention policy; only its metadata remains. */
  DESTROYED: 'MOD_ERR_VAULT_DESTROYED',
  /** What was offered for keeping is not acceptable: no bytes, too many, a digest that does not match, bad ids. */
  INVALID_ITEM: 'MOD_ERR_VAULT_INVALID_ITEM',
  /** A preview could not be made: the bytes are not an image the decoder takes, or exceed its limits. */
  PREVIEW_FAILED: 'MOD_ERR_VAULT_PREVIEW_FAILED',
} as const;
export type VaultErrorCode = (typeof VaultErrorCode)[keyof typeof VaultErrorCode];

/** Every failure of this package; never carries key material or media bytes in its message. */
export class VaultError extends PermanentError<VaultErrorCode> {}

export function isVaultError(err: unknown, code?: VaultErrorCode): err is VaultError {
  return err instanceof VaultError && (code === undefined || err.code === code);
}
