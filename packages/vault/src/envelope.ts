import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { VaultError, VaultErrorCode } from './errors.js';
import { mediaTypeOf, type EvidenceToKeep } from './evidence.js';
import { requireMasterKey, requireSealingKey, type MasterKeyring } from './master-keys.js';

/** Format of what `sealEvidence` writes; stored with each item so a later format can still open older ones. */
export const SEAL_VERSION = 1;
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

/**
 * What an item's ciphertext is bound to (the additional authenticated data of both encryptions): a sealed item
 * moved onto another id, tenant or content digest does not open.
 */
export interface EvidenceBinding {
  itemId: string;
  tenantId: string;
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
}

/** An item sealed at rest: the bytes under a random data key, and that key wrapped under a master key. */
export interface SealedEvidence {
  sealVersion: number;
  /** Id of the master key that wrapped the data key (`masterKeyId`). */
  masterKeyId: string;
  ciphertext: Buffer;
  dataNonce: Buffer;
  dataTag: Buffer;
  /** The data key, encrypted (AES-256-GCM) under the master key. */
  wrappedKey: Buffer;
  keyNonce: Buffer;
  keyTag: Buffer;
}

/** Canonical additional data: a JSON array cannot be made ambiguous by a field that contains a separator. */
function boundTo(part: 'data' | 'key', b: EvidenceBinding, masterKeyId: string): Buffer {
  return Buffer.from(
    JSON.stringify([`mod-vault/v${SEAL_VERSION}`, part, b.itemId, b.tenantId, b.sha256, masterKeyId]),
    'utf8',
  );
}

function encrypt(key: Parameters<typeof createCipheriv>[1], plaintext: Uint8Array, aad: Buffer) {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, nonce, tag: cipher.getAuthTag() };
}

function decrypt(
  key: Parameters<typeof createDecipheriv>[1],
  sealed: { ciphertext: Buffer; nonce: Buffer; tag: Buffer },
  aad: Buffer,
  what: string,
): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.tag.length !== TAG_BYTES)
    throw new VaultError(VaultErrorCode.TAMPERED, `${what}: nonce or tag has the wrong length`);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (err) {
    throw new VaultError(VaultErrorCode.TAMPERED, `${what} did not authenticate`, { cause: err });
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Seals `bytes` for one item: a fresh random 256-bit data key encrypts them (AES-256-GCM, 96-bit random nonce),
 * the keyring's current master key wraps the data key (AES-256-GCM), and both bind the item's id, tenant and
 * digest. The data key exists in memory only for this call. Throws `MOD_ERR_VAULT_KEY_MATERIAL` without a current
 * key, `MOD_ERR_VAULT_INVALID_ITEM` when `bytes` are not the content `binding.sha256` names.
 */
export function sealEvidence(
  bytes: Uint8Array,
  binding: EvidenceBinding,
  keyring: MasterKeyring,
): SealedEvidence {
  const master = requireSealingKey(keyring);
  if (sha256Hex(bytes) !== binding.sha256)
    throw new VaultError(
      VaultErrorCode.INVALID_ITEM,
      `the bytes of item ${binding.itemId} are not its sha256`,
    );
  const dataKey = randomBytes(DATA_KEY_BYTES);
  try {
    const data = encrypt(dataKey, bytes, boundTo('data', binding, master.id));
    const wrapped = encrypt(master.key, dataKey, boundTo('key', binding, master.id));
    return {
      sealVersion: SEAL_VERSION,
      masterKeyId: master.id,
      ciphertext: data.ciphertext,
      dataNonce: data.nonce,
      dataTag: data.tag,
      wrappedKey: wrapped.ciphertext,
      keyNonce: wrapped.nonce,
      keyTag: wrapped.tag,
    };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * The plaintext of a sealed item, checked three ways: the wrapped key and the ciphertext authenticate against
 * the binding, and the plaintext's SHA-256 is the binding's. Throws `MOD_ERR_VAULT_MASTER_KEY_UNKNOWN` when the
 * keyring lacks the sealing key, `MOD_ERR_VAULT_TAMPERED` when anything was changed or swapped.
 */
export function openSealedEvidence(
  sealed: SealedEvidence,
  binding: EvidenceBinding,
  keyring: MasterKeyring,
): Buffer {
  if (sealed.sealVersion !== SEAL_VERSION)
    throw new VaultError(VaultErrorCode.TAMPERED, `unknown seal version ${sealed.sealVersion}`);
  const master = requireMasterKey(keyring, sealed.masterKeyId);
  const dataKey = decrypt(
    master.key,
    { ciphertext: sealed.wrappedKey, nonce: sealed.keyNonce, tag: sealed.keyTag },
    boundTo('key', binding, master.id),
    `the data key of item ${binding.itemId}`,
  );
  try {
    if (dataKey.length !== DATA_KEY_BYTES)
      throw new VaultError(
        VaultErrorCode.TAMPERED,
        `the data key of item ${binding.itemId} has the wrong length`,
      );
    const plaintext = decrypt(
      dataKey,
      { ciphertext: sealed.ciphertext, nonce: sealed.dataNonce, tag: sealed.dataTag },
      boundTo('data', binding, master.id),
      `the bytes of item ${binding.itemId}`,
    );
    // Authenticated data already binds the digest; this catches a sealer that bound the wrong one.
    if (sha256Hex(plaintext) !== binding.sha256)
      throw new VaultError(VaultErrorCode.TAMPERED, `the bytes of item ${binding.itemId} are not its sha256`);
    return plaintext;
  } finally {
    dataKey.fill(0);
  }
}

/**
 * What a store writes for media it keeps under `itemId`: the digest of the bytes (which must be the one the caller
 * gave, if any: else `MOD_ERR_VAULT_INVALID_ITEM`), the media type from its magic bytes, and the sealed form.
 */
export function sealForKeeping(
  input: Pick<EvidenceToKeep, 'tenantId' | 'submissionId' | 'bytes' | 'sha256'>,
  itemId: string,
  keyring: MasterKeyring,
): { sha256: string; mediaType: string; sealed: SealedEvidence } {
  const sha256 = sha256Hex(input.bytes);
  if (input.sha256 !== undefined && input.sha256 !== sha256)
    throw new VaultError(
      VaultErrorCode.INVALID_ITEM,
      `the bytes of submission ${input.submissionId} are not its sha256`,
    );
  const sealed = sealEvidence(input.bytes, { itemId, tenantId: input.tenantId, sha256 }, keyring);
  return { sha256, mediaType: mediaTypeOf(input.bytes), sealed };
}
