import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import { AuditError, AuditErrorCode } from './errors.js';
import { HASH_BYTES } from './merkle.js';

/**
 * Domain-separation label of the legacy tree heads (signed before heads named their log): a signature over these
 * bytes says nothing of which log the head belongs to. Still verified, and always reported as legacy.
 */
export const TREE_HEAD_FORMAT = 'mod.audit.tree-head.v1';
/** Label of the tree heads this version signs: the log's id (`logId`) is inside the signed bytes. */
export const TREE_HEAD_FORMAT_V2 = 'mod.audit.tree-head.v2';

/** A log id: 32 lowercase hex characters (16 random bytes chosen once per log, `audit_log_identity`). */
export const LOG_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Bytes of SHA-256(SPKI DER) kept as the key id (16 bytes = 32 hex characters; collisions need 2^64 work). */
export const KEY_ID_BYTES = 16;

/** Environment variable `signingKeyFromEnv` reads by default: the Ed25519 private key, PKCS#8 PEM. */
export const SIGNING_KEY_ENV = 'MOD_AUDIT_SIGNING_KEY_PEM';

/** What a tree head states: the log had `treeSize` leaves with root `rootHash` at `timestamp`. */
export interface TreeHead {
  treeSize: number;
  /** Lowercase hex of the 32-byte MTH. */
  rootHash: string;
  /** ISO-8601 UTC with milliseconds. */
  timestamp: string;
  /**
   * Which log the head belongs to (`LOG_ID_PATTERN`), signed with the rest: a head of another deployment's log
   * (or a test log) signed with the same key is not this log's. Absent from legacy (`TREE_HEAD_FORMAT`) heads.
   */
  logId?: string;
}

/** A tree head signed with Ed25519 by the key `keyId`. */
export interface SignedTreeHead extends TreeHead {
  keyId: string;
  /** Base64 of the 64-byte Ed25519 signature over `treeHeadSigningBytes`. */
  signature: string;
}

/** A public key a verifier may trust, with its id. */
export interface PublicKeyInfo {
  keyId: string;
  publicKey: KeyObject;
}

/** The log's signing key (private) with its public half and id. */
export interface SigningKey extends PublicKeyInfo {
  privateKey: KeyObject;
}

/**
 * The bytes a tree head's signature covers: UTF-8 of the canonical JSON (sorted keys, no whitespace) of
 * `{"format":"mod.audit.tree-head.v2","keyId":..,"logId":..,"rootHash":..,"timestamp":..,"treeSize":..}`, or
 * for a legacy head (no `logId`) `{"format":"mod.audit.tree-head.v1","keyId":..,"rootHash":..,...}`. The two
 * formats' labels differ, so a legacy signature can never be read as naming a log.
 */
export function treeHeadSigningBytes(head: TreeHead & { keyId: string }): Buffer {
  if (head.logId !== undefined)
    return canonicalBytes({
      format: TREE_HEAD_FORMAT_V2,
      keyId: head.keyId,
      logId: head.logId,
      rootHash: head.rootHash,
      timestamp: head.timestamp,
      treeSize: head.treeSize,
    });
  return canonicalBytes({
    format: TREE_HEAD_FORMAT,
    keyId: head.keyId,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    treeSize: head.treeSize,
  });
}

/** Key id: lowercase hex of the first 16 bytes of SHA-256 over the key's SPKI DER encoding. */
export function computeKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest().subarray(0, KEY_ID_BYTES).toString('hex');
}

/** Base64 of the key's SPKI DER: the compact form bundles carry. */
export function publicKeySpkiBase64(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public), for `modctl` and tests; store it as a secret. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: computeKeyId(publicKey),
  };
}

function requireEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AuditError(
      AuditErrorCode.KEY_INVALID,
      `${what} is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`,
    );
  }
}

/** Loads the signing key from a PKCS#8 PEM string (from the environment or a secret store, never the repo). */
export function loadSigningKey(privateKeyPem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (cause) {
    throw new AuditError(AuditErrorCode.KEY_INVALID, 'signing key is not a PEM private key', { cause });
  }
  requireEd25519(privateKey, 'signing key');
  const publicKey = createPublicKey(privateKey);
  return { keyId: computeKeyId(publicKey), publicKey, privateKey };
}

/** Loads the signing key from `env[name]` (PEM; literal `\n` sequences are accepted for one-line variables). */
export function signingKeyFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  name = SIGNING_KEY_ENV,
): SigningKey {
  const pem = env[name];
  if (pem === undefined || pem.trim() === '') {
    throw new AuditError(AuditErrorCode.KEY_INVALID, `environment variable ${name} is not set`);
  }
  return loadSigningKey(pem.replace(/\\n/g, '\n'));
}

/** Loads a public key from SPKI PEM, or from base64 of SPKI DER (as bundles carry it). */
export function loadPublicKey(pemOrSpkiBase64: string): PublicKeyInfo {
  let publicKey: KeyObject;
  try {
    publicKey = pemOrSpkiBase64.includes('-----BEGIN')
      ? createPublicKey({ key: pemOrSpkiBase64, format: 'pem' })
      : createPublicKey({ key: Buffer.from(pemOrSpkiBase64, 'base64'), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new AuditError(AuditErrorCode.KEY_INVALID, 'not a PEM or base64 SPKI public key', { cause });
  }
  requireEd25519(publicKey, 'public key');
  return { keyId: computeKeyId(publicKey), publicKey };
}

/**
 * Signs a tree head with Ed25519. `rootHash` must be 64 lowercase hex characters; with a `logId` the head is
 * a `TREE_HEAD_FORMAT_V2` one naming its log (what the log signs), without one a legacy head (tests, tools).
 */
export function signTreeHead(head: TreeHead, key: SigningKey): SignedTreeHead {
  if (
    !Number.isSafeInteger(head.treeSize) ||
    head.treeSize < 0 ||
    !isHashHex(head.rootHash) ||
    (head.logId !== undefined && !LOG_ID_PATTERN.test(head.logId))
  ) {
    throw new AuditError(
      AuditErrorCode.INVALID_ARGUMENT,
      'tree head needs an integer size, a hex SHA-256 root and a log id of 32 hex characters (or none)',
    );
  }
  const unsigned = {
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    ...(head.logId === undefined ? {} : { logId: head.logId }),
    keyId: key.keyId,
  };
  const signature = sign(null, treeHeadSigningBytes(unsigned), key.privateKey).toString('base64');
  return { ...unsigned, signature };
}

/** Outcome of `verifyTreeHead`. */
export type TreeHeadCheck =
  | { ok: true; key: PublicKeyInfo }
  | { ok: false; code: 'unknown_key' | 'bad_signature' };

/** Checks a tree head's signature against a set of trusted keys (several during a key rotation). */
export function verifyTreeHead(head: SignedTreeHead, trusted: readonly PublicKeyInfo[]): TreeHeadCheck {
  const key = trusted.find((k) => k.keyId === head.keyId);
  if (key === undefined) return { ok: false, code: 'unknown_key' };
  const signature = Buffer.from(head.signature, 'base64');
  // Node's base64 decoder skips junk; re-encoding catches a signature that is not exactly base64.
  if (signature.length !== 64 || signature.toString('base64') !== head.signature) {
    return { ok: false, code: 'bad_signature' };
  }
  let good = false;
  try {
    good = verify(null, treeHeadSigningBytes(head), key.publicKey, signature);
  } catch {
    good = false;
  }
  return good ? { ok: true, key } : { ok: false, code: 'bad_signature' };
}

/** When a new tree head is due: after `everyRecords` new records or `everyMs` since the last head. */
export interface TreeHeadSchedule {
  everyRecords: number;
  everyMs: number;
}

/** True when the log should sign a new head: something new was appended and either bound is reached. */
export function isTreeHeadDue(
  last: { treeSize: number; signedAtMs: number } | null,
  now: { treeSize: number; nowMs: number },
  schedule: TreeHeadSchedule,
): boolean {
  if (last === null) return now.treeSize > 0;
  const added = now.treeSize - last.treeSize;
  if (added <= 0) return false;
  return added >= schedule.everyRecords || now.nowMs - last.signedAtMs >= schedule.everyMs;
}

function isHashHex(s: string): boolean {
  return s.length === HASH_BYTES * 2 && /^[0-9a-f]+$/.test(s);
}
