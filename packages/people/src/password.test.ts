import { argon2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PeopleErrorCode } from './errors.js';
import {
  OWASP_ARGON2ID,
  generateOneTimePassword,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  passwordProblems,
  verifyPassword,
} from './password.js';

/** Cheap parameters for tests that are about the format, not the cost. */
const FAST = { memoryKiB: 64, passes: 1, parallelism: 1 };

describe('passwords (argon2id)', () => {
  it('hashes with the OWASP parameters into a PHC string that verifies, and only for the right password', async () => {
    const phc = await hashPassword('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse battery staple', phc)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', phc)).toBe(false);
    expect(parsePasswordHash(phc).params).toEqual(OWASP_ARGON2ID);
    // Each hash has its own salt.
    expect(await hashPassword('correct horse battery staple')).not.toBe(phc);
  });

  it('is argon2id as Node computes it (the hash is the argon2 tag of the password and salt)', async () => {
    const phc = await hashPassword('mật khẩu đủ dài', FAST);
    const { salt, hash } = parsePasswordHash(phc);
    const expected = argon2Sync('argon2id', {
      message: Buffer.from('mật khẩu đủ dài'.normalize('NFC')),
      nonce: salt,
      memory: 64,
      passes: 1,
      parallelism: 1,
      tagLength: 32,
    });
    expect(hash.equals(expected)).toBe(true);
  });

  it('treats composed and decomposed Vietnamese diacritics as the same password', async () => {
    const composed = 'Đường đến trường'.normalize('NFC');
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, FAST))).toBe(true);
  });

  it('refuses hashes it did not write, or with parameters out of range', () => {
    const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
    const hash = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    for (const bad of [
      '',
      'plain text',
      `$argon2i$v=19$m=19456,t=2,p=1$${salt}$${hash}`,
      `$argon2id$v=16$m=19456,t=2,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=9999999,t=2,p=1$${salt}$${hash}`,
      `$argon2id$v=19$m=19456,t=0,p=1$${salt}$${hash}`,
      `$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234`,
    ])
      expect(() => parsePasswordHash(bad), bad).toThrow(
        expect.objectContaining({ code: PeopleErrorCode.BadPasswordHash }),
      );
    expect(parsePasswordHash(`$argon2id$v=19$m=19456,t=2,p=1$${salt}$${hash}`).salt).toHaveLength(16);
  });

  it('says when a hash was made with other parameters', async () => {
    expect(needsRehash(await hashPassword('twelve chars!', FAST))).toBe(true);
    expect(needsRehash(await hashPassword('twelve chars!'))).toBe(false);
  });

  it('refuses passwords shorter than 12 characters, longer than 256, with control characters, or holding the login', () => {
    expect(passwordProblems('a long enough pass phrase', 'reviewer.an')).toEqual([]);
    expect(passwordProblems('short', 'reviewer.an')).toEqual(['too-short']);
    // Length counts characters, not bytes: 12 Vietnamese letters are enough.
    expect(passwordProblems('đườngđếnđâyđ', 'x-login')).toEqual([]);
    expect(passwordProblems('x'.repeat(257), 'reviewer.an')).toEqual(['too-long']);
    expect(passwordProblems('tab\tinside the pass', 'reviewer.an')).toEqual(['control-characters']);
    expect(passwordProblems('reviewer.an', 'reviewer.an')).toEqual(['too-short', 'contains-login']);
    expect(passwordProblems('My-REVIEWER.AN-2024!', 'reviewer.an')).toEqual(['contains-login']);
  });

  it('makes readable one-time passwords of 99 bits, different each time', () => {
    const seen = new Set(Array.from({ length: 50 }, generateOneTimePassword));
    expect(seen.size).toBe(50);
    for (const otp of seen) expect(otp).toMatch(/^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$/);
  });
});
