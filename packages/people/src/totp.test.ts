import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './base32.js';
import { PeopleErrorCode } from './errors.js';
import {
  generateTotpSecret,
  hotp,
  otpauthUri,
  totpCode,
  totpSecretBytes,
  totpStep,
  verifyTotp,
} from './totp.js';

// RFC 6238 appendix B: the seeds are ASCII "1234567890" repeated to the hash's size; 8-digit codes.
const SEED = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;
const RFC6238: readonly [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC6238)(
    'at T = %i s gives the RFC test vectors (SHA-1, SHA-256, SHA-512)',
    (t, sha1, sha256, sha512) => {
      const step = totpStep(t * 1000);
      expect(hotp(SEED.sha1, step, 8, 'sha1')).toBe(sha1);
      expect(hotp(SEED.sha256, step, 8, 'sha256')).toBe(sha256);
      expect(hotp(SEED.sha512, step, 8, 'sha512')).toBe(sha512);
      // What an authenticator app shows for the same secret: the last 6 digits (same truncation, modulo 10^6).
      expect(totpCode(base32Encode(SEED.sha1), step)).toBe(sha1.slice(2));
    },
  );

  it('HOTP gives the RFC 4226 appendix D values', () => {
    const codes = Array.from({ length: 10 }, (_, counter) => hotp(SEED.sha1, counter));
    expect(codes).toEqual([
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ]);
  });

  const secret = base32Encode(SEED.sha1);
  const at = 1111111111_000; // step 37037037, code 050471
  const step = totpStep(at);

  it('accepts the current code and one step either side, not two', () => {
    const check = (s: number) =>
      verifyTotp({ secret, code: totpCode(secret, s), nowMs: at, lastAcceptedStep: null });
    expect(check(step)).toEqual({ ok: true, step });
    expect(check(step - 1)).toEqual({ ok: true, step: step - 1 });
    expect(check(step + 1)).toEqual({ ok: true, step: step + 1 });
    expect(check(step - 2)).toEqual({ ok: false, reason: 'wrong' });
    expect(check(step + 2)).toEqual({ ok: false, reason: 'wrong' });
  });

  it('refuses a replay: a code whose step is at or below the last accepted step', () => {
    const code = totpCode(secret, step);
    expect(verifyTotp({ secret, code, nowMs: at, lastAcceptedStep: step })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(verifyTotp({ secret, code, nowMs: at, lastAcceptedStep: step + 1 })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    // The previous step's code after the current one was used: also a replay (codes never go backwards).
    const previous = totpCode(secret, step - 1);
    expect(verifyTotp({ secret, code: previous, nowMs: at, lastAcceptedStep: step })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    // The next step's code is new.
    const next = totpCode(secret, step + 1);
    expect(verifyTotp({ secret, code: next, nowMs: at, lastAcceptedStep: step })).toEqual({
      ok: true,
      step: step + 1,
    });
  });

  it('reads codes typed with spaces and refuses malformed ones', () => {
    expect(verifyTotp({ secret, code: '050 471', nowMs: at, lastAcceptedStep: null })).toEqual({
      ok: true,
      step,
    });
    for (const code of ['', '05047', '0504711', 'abcdef', '05047a'])
      expect(verifyTotp({ secret, code, nowMs: at, lastAcceptedStep: null })).toEqual({
        ok: false,
        reason: 'malformed',
      });
  });

  it('makes 160-bit base32 secrets and refuses short or non-base32 ones', () => {
    const s = generateTotpSecret();
    expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpSecretBytes(s)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(s);
    expect(() => totpSecretBytes('MZXW6YTBOI')).toThrow(
      expect.objectContaining({ code: PeopleErrorCode.BadTotpSecret }),
    );
    expect(() => totpSecretBytes('not base32!')).toThrow(
      expect.objectContaining({ code: PeopleErrorCode.BadTotpSecret }),
    );
  });

  it('writes the otpauth:// URI authenticator apps scan', () => {
    const uri = new URL(otpauthUri({ secret, issuer: 'Kiểm duyệt', account: 'reviewer.an' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Kiểm duyệt:reviewer.an');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret,
      issuer: 'Kiểm duyệt',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});

describe('base32 (RFC 4648)', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('%j is %s (unpadded) and back', (text, encoded) => {
    expect(base32Encode(Buffer.from(text))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(text);
  });

  it('reads lower case, groups and padding', () => {
    expect(base32Decode('mzxw 6ytb-oi======').toString()).toBe('foobar');
  });
});
