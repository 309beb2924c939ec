/**
 * `@mod/people`: staff accounts, pure. Passwords (argon2id, PHC strings), TOTP (RFC 6238), session and CSRF
 * tokens, secrets sealed at rest (AES-256-GCM), the lock-out rule, sign-in over a small store interface, and what
 * people are told in Vietnamese and English. No database, no HTTP: `@mod/db/people` stores, the API serves.
 */
export { PeopleError, PeopleErrorCode } from './errors.js';
export {
  OWASP_ARGON2ID,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  generateOneTimePassword,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  passwordProblems,
  verifyPassword,
  type Argon2Params,
  type ParsedPasswordHash,
  type PasswordProblem,
} from './password.js';
export { base32Decode, base32Encode } from './base32.js';
export {
  TOTP_DIGITS,
  TOTP_PERIOD_S,
  TOTP_WINDOW,
  generateTotpSecret,
  hotp,
  otpauthUri,
  totpCode,
  totpSecretBytes,
  totpStep,
  verifyTotp,
  type HotpAlgorithm,
  type TotpCheck,
} from './totp.js';
export { csrfTokenFor, isSessionTokenShaped, newSessionToken, sameSecret, tokenDigest } from './tokens.js';
export { openSecret, parseSecretKey, sealSecret, type SecretKey } from './secret-box.js';
export {
  DEFAULT_LOCKOUT_POLICY,
  DEFAULT_MAX_CODE_FAILURES_PER_LOGIN,
  checkLockoutPolicy,
  clientAddressKey,
  codeLockDecision,
  lockoutDecision,
  type FailureTally,
  type LockoutDecision,
  type LockoutPolicy,
} from './lockout.js';
export { LOGIN_PATTERN, isValidDisplayName, isValidLogin, normaliseLogin } from './names.js';
export {
  SessionStages,
  signIn,
  underLockout,
  type SessionStage,
  type SignInAccount,
  type SignInDeps,
  type SignInFailure,
  type SignInOutcome,
  type SignInStore,
} from './sign-in.js';
export {
  PeopleMessages,
  passwordProblemsMessage,
  peopleMessage,
  preferredLanguage,
  type Language,
  type PeopleMessageId,
} from './messages.js';
