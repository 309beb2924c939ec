import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';

/**
 * Logins and display names. A login is 3-64 characters of `a-z 0-9 . _ @ -`, starting with a letter or digit,
 * compared in lower case (an e-mail address works as a login). It is an identifier, never shown in the audit log
 * (which names the person by an opaque id).
 */
const LOGIN = /^[a-z0-9][a-z0-9._@-]{2,63}$/;

/** A login as stored and compared: trimmed, lower case. */
export function normaliseLogin(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}

/** Whether a (normalised) login is acceptable. */
export function isValidLogin(login: string): boolean {
  return LOGIN.test(login);
}

/** The pattern of a valid login, for schemas (JSON Schema `pattern`, case-insensitive input is normalised first). */
export const LOGIN_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$';

/**
 * Whether a display name is acceptable: 1-200 characters, not only spaces, none that breaks a line or makes it
 * display other than it is (`hasUnsafeTextCharacter`: controls, bidi overrides).
 */
export function isValidDisplayName(name: string): boolean {
  return name.trim() !== '' && [...name].length <= 200 && !hasUnsafeTextCharacter(name);
}
