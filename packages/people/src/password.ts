import { argon2, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { PeopleError, PeopleErrorCode } from './errors.js';

/** argon2id cost: memory in KiB, passes over it, lanes. */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 passes, 1 lane (about 50 ms on a server core, a few
 * hundred on a busy laptop). Every hash carries its parameters, so raising them later leaves older hashes
 * verifiable (`needsRehash` says which to renew at the next sign-in).
 */
export const OWASP_ARGON2ID: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
});

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const ARGON2_VERSION = 19;
/** Bounds a stored hash's parameters must keep: a tampered row must not make one sign-in take minutes. */
const BOUNDS = { memoryKiB: [8, 262_144], passes: [1, 10], parallelism: [1, 16] } as const;

/** Shortest and longest password, in Unicode code points (after NFC). */
export const PASSWORD_MIN_CHARS = 12;
export const PASSWORD_MAX_CHARS = 256;

/** Why a new password is refused (messages in both languages: `peopleMessage`). */
export type PasswordProblem = 'too-short' | 'too-long' | 'control-characters' | 'contains-login';

/**
 * What is wrong with a new password for `login` (empty: acceptable): at least 12 characters, at most 256, no
 * control characters, and not the login (nor containing it, in any case). Length rules over composition rules,
 * as NIST SP 800-63B advises; a pass phrase in Vietnamese is as good as any.
 */
export function passwordProblems(password: string, login: string): PasswordProblem[] {
  const text = password.normalize('NFC');
  const problems: PasswordProblem[] = [];
  const chars = [...text].length;
  if (chars < PASSWORD_MIN_CHARS) problems.push('too-short');
  if (chars > PASSWORD_MAX_CHARS) problems.push('too-long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) problems.push('control-characters');
  const name = login.trim().toLowerCase();
  if (name !== '' && text.toLowerCase().includes(name)) problems.push('contains-login');
  return problems;
}

function checkParams(p: Argon2Params): void {
  for (const [name, [min, max]] of Object.entries(BOUNDS) as [keyof Argon2Params, readonly number[]][]) {
    const v = p[name];
    if (!Number.isInteger(v) || v < min! || v > max!)
      throw new PeopleError(
        PeopleErrorCode.Settings,
        `argon2 ${name} must be an integer in [${min}, ${max}]`,
      );
  }
  if (p.memoryKiB < 8 * p.parallelism)
    throw new PeopleError(PeopleErrorCode.Settings, 'argon2 memory must be at least 8 KiB per lane');
}

function derive(password: string, salt: Buffer, p: Argon2Params, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Normalised so that a password typed with composed or decomposed Vietnamese diacritics is the same one.
    argon2(
      'argon2id',
      {
        message: Buffer.from(password.normalize('NFC'), 'utf8'),
        nonce: salt,
        memory: p.memoryKiB,
        passes: p.passes,
        parallelism: p.parallelism,
        tagLength: length,
      },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/**
 * The argon2id hash of `password` as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, unpadded
 * base64), with a fresh 128-bit salt. Runs on the thread pool (it never blocks the event loop).
 */
export async function hashPassword(
  password: string,
  params: Readonly<Argon2Params> = OWASP_ARGON2ID,
): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=${ARGON2_VERSION}$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

/** A PHC string's parts. */
export interface ParsedPasswordHash {
  params: Argon2Params;
  salt: Buffer;
  hash: Buffer;
}

const PHC =
  /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{22,88})$/;

/** Parses a hash `hashPassword` wrote; anything else (another algorithm, out-of-range cost) is refused. */
export function parsePasswordHash(phc: string): ParsedPasswordHash {
  const m = PHC.exec(phc);
  if (m === null) throw new PeopleError(PeopleErrorCode.BadPasswordHash, 'not an argon2id PHC hash');
  const params = { memoryKiB: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
  try {
    checkParams(params);
  } catch (err) {
    throw new PeopleError(PeopleErrorCode.BadPasswordHash, 'argon2id parameters out of range', {
      cause: err,
    });
  }
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

/** Whether `password` is the one hashed in `phc`; the comparison takes the same time wherever they differ. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const { params, salt, hash } = parsePasswordHash(phc);
  const candidate = await derive(password, salt, params, hash.length);
  return timingSafeEqual(candidate, hash);
}

/** Whether a stored hash was made with other parameters than `params` (renew it at the next sign-in). */
export function needsRehash(phc: string, params: Readonly<Argon2Params> = OWASP_ARGON2ID): boolean {
  const p = parsePasswordHash(phc).params;
  return (
    p.memoryKiB !== params.memoryKiB || p.passes !== params.passes || p.parallelism !== params.parallelism
  );
}

/** Letters and digits nobody confuses when reading them out (no 0/o, 1/l/i). */
const READABLE = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * A one-time password an admin hands to a person (`xxxxx-xxxxx-xxxxx-xxxxx`, 20 characters from 31: 99 bits),
 * for a first sign-in that must replace it (the password rules apply to passwords people choose, not to it).
 */
export function generateOneTimePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += READABLE[randomInt(READABLE.length)];
    groups.push(group);
  }
  return groups.join('-');
}
