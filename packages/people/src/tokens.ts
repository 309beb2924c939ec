import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens: 256 random bits, base64url (43 characters), carried in the session cookie and stored only as
 * their SHA-256, so a copy of the database signs nobody in.
 */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Whether text has the shape of a session token (checked before any lookup). */
export function isSessionTokenShaped(text: string): boolean {
  return TOKEN.test(text);
}

/** The SHA-256 of a token: what the sessions table keeps and looks up. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The CSRF token of a session: HMAC-SHA256 keyed by the session token, base64url. Derived, not stored: only
 * the holder of the (HttpOnly) session cookie can learn it, from the sign-in answer or `GET /v1/session`, and a
 * new session token gives a new CSRF token. A forged cross-site request carries the cookie but cannot read it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('mod-csrf-v1').digest('base64url');
}

/** Whether two secrets are equal, in time that does not depend on where they differ (nor on their lengths). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(tokenDigest(a), tokenDigest(b));
}
