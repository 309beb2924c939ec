import { describe, expect, it } from 'vitest';
import { csrfTokenFor, isSessionTokenShaped, newSessionToken, sameSecret, tokenDigest } from './tokens.js';

describe('session and CSRF tokens', () => {
  it('makes 256-bit session tokens, stored as their SHA-256', () => {
    const token = newSessionToken();
    expect(isSessionTokenShaped(token)).toBe(true);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newSessionToken()).not.toBe(token);
    expect(tokenDigest(token)).toHaveLength(32);
    expect(tokenDigest(token).equals(tokenDigest(token))).toBe(true);
    for (const bad of ['', 'x'.repeat(42), `${token}=`, token.replace(/^./, '!')])
      expect(isSessionTokenShaped(bad)).toBe(false);
  });

  it('derives one CSRF token per session token, never the token itself', () => {
    const a = newSessionToken();
    const b = newSessionToken();
    expect(csrfTokenFor(a)).toBe(csrfTokenFor(a));
    expect(csrfTokenFor(a)).not.toBe(csrfTokenFor(b));
    expect(csrfTokenFor(a)).not.toContain(a);
    expect(csrfTokenFor(a)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('compares secrets of any lengths', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', '')).toBe(true);
  });
});
