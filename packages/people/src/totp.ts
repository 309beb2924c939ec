import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Decode, base32Encode } from './base32.js';
import { PeopleError, PeopleErrorCode } from './errors.js';

/**
 * TOTP as RFC 6238 defines it and every authenticator app reads it: HMAC-SHA1, 30-second steps, 6 digits, counted
 * from the Unix epoch. A code is accepted one step either side of now (clocks drift), and never twice: a code
 * whose step is at or below the last accepted step is a replay.
 */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;
/** Secrets are 160 bits, the HMAC-SHA1 block RFC 4226 recommends; shorter than 128 bits is refused. */
const SECRET_BYTES = 20;
const MIN_SECRET_BYTES = 16;

export type HotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** A fresh TOTP secret, base32 (32 characters). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** The bytes of a base32 secret, refused (`MOD_ERR_PEOPLE_BAD_TOTP_SECRET`) when shorter than 128 bits. */
export function totpSecretBytes(secret: string): Buffer {
  const key = base32Decode(secret);
  if (key.length < MIN_SECRET_BYTES)
    throw new PeopleError(PeopleErrorCode.BadTotpSecret, 'a TOTP secret needs at least 128 bits');
  return key;
}

/** RFC 4226 HOTP: the code of `counter` under `key`, `digits` long (zero-padded). */
export function hotp(
  key: Uint8Array,
  counter: number,
  digits: number = TOTP_DIGITS,
  algorithm: HotpAlgorithm = 'sha1',
): string {
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new RangeError('counter must be a safe integer >= 0');
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  // Dynamic truncation (RFC 4226 section 5.3).
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP step (time counter) at `nowMs`. */
export function totpStep(nowMs: number, periodS: number = TOTP_PERIOD_S): number {
  return Math.floor(nowMs / 1000 / periodS);
}

/** The code of a base32 secret at `step`. */
export function totpCode(secret: string, step: number, digits: number = TOTP_DIGITS): string {
  return hotp(totpSecretBytes(secret), step, digits);
}

export type TotpCheck =
  | { ok: true; step: number }
  | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' };

/**
 * Checks a code typed by a person (spaces allowed) against the steps around `nowMs`. Accepts the earliest
 * matching step above `lastAcceptedStep`; the store must then record that step atomically (a compare-and-set),
 * so that two sign-ins racing with one code cannot both pass. Every candidate is compared, in constant time.
 */
export function verifyTotp(a: {
  secret: string;
  code: string;
  nowMs: number;
  lastAcceptedStep: number | null;
  window?: number;
}): TotpCheck {
  const code = a.code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'malformed' };
  const key = totpSecretBytes(a.secret);
  const now = totpStep(a.nowMs);
  const window = a.window ?? TOTP_WINDOW;
  const typed = Buffer.from(code);
  let accepted: number | null = null;
  let replayed = false;
  for (let step = now - window; step <= now + window; step++) {
    const matches = timingSafeEqual(Buffer.from(hotp(key, step)), typed);
    if (!matches) continue;
    if (a.lastAcceptedStep !== null && step <= a.lastAcceptedStep) replayed = true;
    else accepted ??= step;
  }
  if (accepted !== null) return { ok: true, step: accepted };
  return { ok: false, reason: replayed ? 'replayed' : 'wrong' };
}

/**
 * The `otpauth://totp/...` URI authenticator apps scan as a QR code (Google Authenticator's key-URI format):
 * label `issuer:account`, the secret, and the parameters spelled out.
 */
export function otpauthUri(a: { secret: string; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(a.issuer)}:${encodeURIComponent(a.account)}`;
  const query = new URLSearchParams({
    secret: a.secret,
    issuer: a.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_S),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
}
