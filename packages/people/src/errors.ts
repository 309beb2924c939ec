import { PermanentError } from '@mod/contracts';

/**
 * Stable error codes of `@mod/people`, documented in the package README; a retired code is never reused. None is
 * retriable: each says that configuration or stored data is wrong, which waiting does not mend.
 */
export const PeopleErrorCode = {
  /** A stored password hash that is not an argon2id PHC string with parameters in range. */
  BadPasswordHash: 'MOD_ERR_PEOPLE_BAD_PASSWORD_HASH',
  /** A TOTP secret that is not base32 (RFC 4648) or is shorter than 128 bits. */
  BadTotpSecret: 'MOD_ERR_PEOPLE_BAD_TOTP_SECRET',
  /** The key that seals TOTP secrets is missing or not 32 bytes (base64 or hex). */
  SecretKey: 'MOD_ERR_PEOPLE_SECRET_KEY',
  /** A sealed secret that does not open under this key for this person (wrong key, or altered bytes). */
  SealedSecret: 'MOD_ERR_PEOPLE_SEALED_SECRET',
  /** Lock-out or argon2 parameters out of range (checked once, where they are set). */
  Settings: 'MOD_ERR_PEOPLE_SETTINGS',
} as const;
export type PeopleErrorCode = (typeof PeopleErrorCode)[keyof typeof PeopleErrorCode];

/** Any error raised on purpose by `@mod/people`; `code` is one of {@link PeopleErrorCode}. */
export class PeopleError extends PermanentError<PeopleErrorCode> {}
