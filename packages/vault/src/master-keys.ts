import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { VaultError, VaultErrorCode } from './errors.js';

/** Bytes of a master key (AES-256). */
export const MASTER_KEY_BYTES = 32;

/**
 * A master key: the secret (a `KeyObject`, which never prints its material) and its id, derived from it. The id is
 * stored beside every data key it wraps, so a process knows which key to unwrap with, and a wrong key in the
 * environment is told apart from tampering.
 */
export interface MasterKey {
  readonly id: string;
  readonly key: KeyObject;
}

/** The keys a process holds: the current one seals; it and the previous ones (rotation) open. */
export interface MasterKeyring {
  /** Seals new items; null when the vault is not configured (`MOD_VAULT_MASTER_KEY` empty). */
  readonly current: MasterKey | null;
  /** The key with this id, current or previous. */
  byId(id: string): MasterKey | undefined;
  /** Ids of every key held, current first (safe to log). */
  readonly ids: readonly string[];
}

const KEY_ID_LABEL = 'mod-vault master key id v1';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The id of a master key: an HMAC of a fixed label under the key (reveals nothing of it), 24 hex digits. */
export function masterKeyId(key: KeyObject): string {
  return `mk1-${createHmac('sha256', key).update(KEY_ID_LABEL).digest('hex').slice(0, 24)}`;
}

/**
 * Why `text` is not a master key (32 random bytes, base64 as `openssl rand -base64 32` prints them), or null when
 * it is one. Keys whose bytes are all the same are refused: a placeholder, not a secret.
 */
export function masterKeyProblem(text: string): string | null {
  const t = text.trim();
  if (!BASE64.test(t)) return 'must be base64 (openssl rand -base64 32)';
  const bytes = Buffer.from(t, 'base64');
  if (bytes.length !== MASTER_KEY_BYTES)
    return `must decode to ${MASTER_KEY_BYTES} bytes, got ${bytes.length}`;
  if (bytes.every((b) => b === bytes[0])) return 'must be random bytes, not one byte repeated';
  return null;
}

/** Parses a master key; throws `MOD_ERR_VAULT_KEY_MATERIAL` (naming `name`, never the value) when it is not one. */
export function parseMasterKey(text: string, name = 'master key'): MasterKey {
  const problem = masterKeyProblem(text);
  if (problem !== null) throw new VaultError(VaultErrorCode.KEY_MATERIAL, `${name} ${problem}`);
  const raw = Buffer.from(text.trim(), 'base64');
  const key = createSecretKey(raw);
  raw.fill(0);
  return { id: masterKeyId(key), key };
}

/**
 * The keyring from configuration: `current` (empty: the vault seals nothing; items can still be opened with
 * `previous`) and `previous` keys kept for reading items sealed before a rotation. A key listed twice is refused
 * (`MOD_ERR_VAULT_KEY_MATERIAL`), so a rotation that forgot to change the current key is caught at start-up.
 */
export function createMasterKeyring(source: {
  current: string;
  previous?: readonly string[];
}): MasterKeyring {
  const current =
    source.current.trim() === '' ? null : parseMasterKey(source.current, 'MOD_VAULT_MASTER_KEY');
  const previous = (source.previous ?? [])
    .filter((k) => k.trim() !== '')
    .map((k, i) => parseMasterKey(k, `MOD_VAULT_PREVIOUS_KEYS[${i}]`));
  const all = [...(current === null ? [] : [current]), ...previous];
  const byId = new Map<string, MasterKey>();
  for (const k of all) {
    if (byId.has(k.id))
      throw new VaultError(VaultErrorCode.KEY_MATERIAL, `master key ${k.id} is configured twice`);
    byId.set(k.id, k);
  }
  return { current, byId: (id) => byId.get(id), ids: [...byId.keys()] };
}

/** The key that sealed an item, or `MOD_ERR_VAULT_MASTER_KEY_UNKNOWN` when this process does not hold it. */
export function requireMasterKey(keyring: MasterKeyring, id: string): MasterKey {
  const key = keyring.byId(id);
  if (key === undefined)
    throw new VaultError(
      VaultErrorCode.MASTER_KEY_UNKNOWN,
      `the item was sealed under master key ${id}, which is not configured (MOD_VAULT_MASTER_KEY / MOD_VAULT_PREVIOUS_KEYS)`,
    );
  return key;
}

/** The current key, or `MOD_ERR_VAULT_KEY_MATERIAL` when the vault has none to seal with. */
export function requireSealingKey(keyring: MasterKeyring): MasterKey {
  if (keyring.current === null)
    throw new VaultError(
      VaultErrorCode.KEY_MATERIAL,
      'no MOD_VAULT_MASTER_KEY is configured: evidence cannot be sealed',
    );
  return keyring.current;
}
