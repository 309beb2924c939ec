import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openSealedEvidence,
  sealEvidence,
  sha256Hex,
  type EvidenceBinding,
  type SealedEvidence,
} from './envelope.js';
import { VaultErrorCode } from './errors.js';
import { createMasterKeyring } from './master-keys.js';
import { codeOf, keyText } from './keys.test-helper.js';

const bytes = randomBytes(50_000);
const binding = (over: Partial<EvidenceBinding> = {}): EvidenceBinding => ({
  itemId: randomUUID(),
  tenantId: 'platform-a',
  sha256: sha256Hex(bytes),
  ...over,
});
const flip = (b: Buffer, at = 0): Buffer => {
  const c = Buffer.from(b);
  c[at] = (c[at] ?? 0) ^ 0x01;
  return c;
};

describe('sealEvidence / openSealedEvidence', () => {
  const keyring = createMasterKeyring({ current: keyText() });

  it('round-trips the bytes, under a fresh data key and nonce each time', () => {
    const b = binding();
    const one = sealEvidence(bytes, b, keyring);
    const two = sealEvidence(bytes, b, keyring);
    expect(openSealedEvidence(one, b, keyring).equals(bytes)).toBe(true);
    expect(one.masterKeyId).toBe(keyring.current!.id);
    expect(one.ciphertext.equals(two.ciphertext)).toBe(false);
    expect(one.wrappedKey.equals(two.wrappedKey)).toBe(false);
    expect(one.dataNonce.equals(two.dataNonce)).toBe(false);
  });

  it('leaves no run of the plaintext in the ciphertext', () => {
    const sealed = sealEvidence(bytes, binding(), keyring);
    expect(sealed.ciphertext.length).toBe(bytes.length);
    expect(sealed.ciphertext.equals(bytes)).toBe(false);
    // No 16-byte window of the media appears anywhere in what is stored.
    for (let i = 0; i + 16 <= bytes.length; i += 997)
      expect(sealed.ciphertext.includes(bytes.subarray(i, i + 16))).toBe(false);
  });

  it.each<[string, (s: SealedEvidence) => SealedEvidence]>([
    ['a flipped ciphertext bit', (s) => ({ ...s, ciphertext: flip(s.ciphertext, 1234) })],
    ['a flipped data tag bit', (s) => ({ ...s, dataTag: flip(s.dataTag) })],
    ['another data nonce', (s) => ({ ...s, dataNonce: randomBytes(12) })],
    ['a flipped wrapped-key bit', (s) => ({ ...s, wrappedKey: flip(s.wrappedKey, 5) })],
    ['a flipped key tag bit', (s) => ({ ...s, keyTag: flip(s.keyTag) })],
    ['a truncated tag', (s) => ({ ...s, dataTag: s.dataTag.subarray(0, 12) })],
    ['an unknown seal version', (s) => ({ ...s, sealVersion: 2 })],
  ])('refuses %s with MOD_ERR_VAULT_TAMPERED', (_what, tamper) => {
    const b = binding();
    const sealed = tamper(sealEvidence(bytes, b, keyring));
    expect(codeOf(() => openSealedEvidence(sealed, b, keyring))).toBe(VaultErrorCode.TAMPERED);
  });

  it.each<[string, (b: EvidenceBinding) => EvidenceBinding]>([
    ['another item id', (b) => ({ ...b, itemId: randomUUID() })],
    ['another tenant', (b) => ({ ...b, tenantId: 'platform-b' })],
    ['another digest', (b) => ({ ...b, sha256: sha256Hex(randomBytes(8)) })],
  ])('does not open when swapped onto %s (authenticated data)', (_what, swap) => {
    const b = binding();
    const sealed = sealEvidence(bytes, b, keyring);
    expect(codeOf(() => openSealedEvidence(sealed, swap(b), keyring))).toBe(VaultErrorCode.TAMPERED);
  });

  it("does not open another item's ciphertext with this item's wrapped key", () => {
    const a = binding();
    const b = binding();
    const sa = sealEvidence(bytes, a, keyring);
    const sb = sealEvidence(bytes, b, keyring);
    const mixed = { ...sa, wrappedKey: sb.wrappedKey, keyNonce: sb.keyNonce, keyTag: sb.keyTag };
    expect(codeOf(() => openSealedEvidence(mixed, a, keyring))).toBe(VaultErrorCode.TAMPERED);
  });

  it('names a wrong master key with MOD_ERR_VAULT_MASTER_KEY_UNKNOWN, not as tampering', () => {
    const b = binding();
    const sealed = sealEvidence(bytes, b, keyring);
    const other = createMasterKeyring({ current: keyText() });
    expect(codeOf(() => openSealedEvidence(sealed, b, other))).toBe(VaultErrorCode.MASTER_KEY_UNKNOWN);
    // A forged key id that names the other key: the unwrap fails authentication.
    const forged = { ...sealed, masterKeyId: other.current!.id };
    expect(codeOf(() => openSealedEvidence(forged, b, other))).toBe(VaultErrorCode.TAMPERED);
  });

  it('opens items sealed before a rotation with the previous key, and seals new ones with the current', () => {
    const oldKey = keyText();
    const before = createMasterKeyring({ current: oldKey });
    const b = binding();
    const sealed = sealEvidence(bytes, b, before);
    const after = createMasterKeyring({ current: keyText(), previous: [oldKey] });
    expect(openSealedEvidence(sealed, b, after).equals(bytes)).toBe(true);
    expect(sealEvidence(bytes, b, after).masterKeyId).toBe(after.current!.id);
    expect(after.current!.id).not.toBe(sealed.masterKeyId);
  });

  it('refuses to seal bytes that are not the bound digest, or without a current key', () => {
    expect(codeOf(() => sealEvidence(bytes, binding({ sha256: 'a'.repeat(64) }), keyring))).toBe(
      VaultErrorCode.INVALID_ITEM,
    );
    const readOnly = createMasterKeyring({ current: '', previous: [keyText()] });
    expect(codeOf(() => sealEvidence(bytes, binding(), readOnly))).toBe(VaultErrorCode.KEY_MATERIAL);
  });
});
