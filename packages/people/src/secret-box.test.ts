import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PeopleErrorCode } from './errors.js';
import { openSecret, parseSecretKey, sealSecret } from './secret-box.js';

const key = parseSecretKey(randomBytes(32).toString('base64'));

describe('sealed secrets (AES-256-GCM)', () => {
  it('seals and opens a secret for its owner; the sealed bytes do not contain it', () => {
    const sealed = sealSecret(key, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'person-1');
    expect(sealed.includes(Buffer.from('JBSWY3DP'))).toBe(false);
    expect(sealed).toHaveLength(1 + 12 + 32 + 16);
    expect(openSecret(key, sealed, 'person-1')).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    // A fresh nonce each time.
    expect(sealSecret(key, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'person-1').equals(sealed)).toBe(false);
  });

  it('refuses another key, another owner, and altered bytes with a coded error', () => {
    const sealed = sealSecret(key, 'secret', 'person-1');
    const other = parseSecretKey(randomBytes(32).toString('hex'));
    const refused: unknown = expect.objectContaining({ code: PeopleErrorCode.SealedSecret });
    expect(() => openSecret(other, sealed, 'person-1')).toThrow(refused);
    expect(() => openSecret(key, sealed, 'person-2')).toThrow(refused);
    for (const at of [0, 5, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at]! ^= 1;
      expect(() => openSecret(key, altered, 'person-1'), `byte ${at}`).toThrow(refused);
    }
    expect(() => openSecret(key, sealed.subarray(0, 20), 'person-1')).toThrow(refused);
  });

  it('reads a 32-byte key as base64, base64url or hex and refuses anything else, one byte repeated too', () => {
    const bytes = randomBytes(32);
    expect(parseSecretKey(bytes.toString('base64')).bytes.equals(bytes)).toBe(true);
    expect(parseSecretKey(bytes.toString('base64url')).bytes.equals(bytes)).toBe(true);
    expect(parseSecretKey(` ${bytes.toString('hex')}\n`).bytes.equals(bytes)).toBe(true);
    expect(parseSecretKey(bytes.toString('hex')).fingerprint).toMatch(/^[0-9a-f]{16}$/);
    for (const bad of [
      '',
      'short',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      // 32 bytes, but no key: a placeholder (zeros, 'AAAA…') anyone can guess.
      '0'.repeat(64),
      'A'.repeat(43) + '=',
      Buffer.alloc(32, 7).toString('base64'),
    ])
      expect(() => parseSecretKey(bad)).toThrow(expect.objectContaining({ code: PeopleErrorCode.SecretKey }));
  });
});
