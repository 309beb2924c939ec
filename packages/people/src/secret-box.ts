import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PeopleError, PeopleErrorCode } from './errors.js';

/**
 * Secrets at rest (TOTP secrets): AES-256-GCM under a 32-byte key from the environment (`MOD_PEOPLE_SECRET_KEY`),
 * with a fresh 96-bit nonce each time. The sealed form is `version (1) || nonce (12) || ciphertext || tag (16)`;
 * the additional data binds it to its owner (the person id), so a sealed secret copied to another row does not
 * open there.
 */
export interface SecretKey {
  readonly bytes: Buffer;
  /** First 16 hex digits of the key's SHA-256: names the key in logs and errors without revealing it. */
  readonly fingerprint: string;
}

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key written as base64 (44 characters) or hex (64 digits); anything else is `MOD_ERR_PEOPLE_SECRET_KEY`. */
export function parseSecretKey(text: string): SecretKey {
  const t = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t))
    bytes = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  if (bytes?.length !== 32)
    throw new PeopleError(PeopleErrorCode.SecretKey, 'the people secret key must be 32 bytes, base64 or hex');
  // A placeholder (64 zeros, 'AAAA…='), not a key: whoever reads the sealed values would open them with it.
  if (bytes.every((b) => b === bytes?.[0]))
    throw new PeopleError(
      PeopleErrorCode.SecretKey,
      'the people secret key must be random bytes, not one byte repeated',
    );
  return { bytes, fingerprint: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
}

const aad = (owner: string) => Buffer.from(`mod-people-v1:${owner}`, 'utf8');

/** Seals `plaintext` for `owner` (e.g. a person id). */
export function sealSecret(key: SecretKey, plaintext: string, owner: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(owner));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
}

/** Opens a sealed secret of `owner`; a wrong key, another owner or altered bytes is `MOD_ERR_PEOPLE_SEALED_SECRET`. */
export function openSecret(key: SecretKey, sealed: Uint8Array, owner: string): string {
  const bytes = Buffer.from(sealed);
  if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== VERSION)
    throw new PeopleError(PeopleErrorCode.SealedSecret, 'not a sealed secret of this version');
  const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(owner));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new PeopleError(
      PeopleErrorCode.SealedSecret,
      `sealed secret does not open under key ${key.fingerprint} (wrong key, or altered)`,
      { cause: err },
    );
  }
}
