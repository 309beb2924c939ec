import { describe, expect, it } from 'vitest';
import { keyForHead, keyHandovers } from './key-handover.js';
import { generateSigningKeyPair, loadSigningKey, signTreeHead, type SigningKey } from './sth.js';

const key = (): SigningKey => loadSigningKey(generateSigningKeyPair().privateKeyPem);
const head = (treeSize: number, k: SigningKey) =>
  signTreeHead(
    { treeSize, rootHash: treeSize.toString(16).padStart(64, '0'), timestamp: '2026-01-01T00:00:00.000Z' },
    k,
  );

describe('keyHandovers', () => {
  const [old, current, stranger] = [key(), key(), key()];

  it('takes a listed key sealed by a later trusted head, inside the sizes it signed', () => {
    const heads = [head(2, old), head(3, old), head(5, current)];
    const handed = keyHandovers(heads, [current], [old, current]);
    expect(handed.map((k) => ({ ...k, key: k.key.keyId }))).toEqual([
      { key: old.keyId, fromSize: 2, toSize: 3, handedTo: current.keyId },
    ]);
    expect(keyForHead(head(3, old), [current], handed)?.keyId).toBe(old.keyId);
    expect(keyForHead(head(4, old), [current], handed)).toBeNull();
    expect(keyForHead(head(1, old), [current], handed)).toBeNull();
  });

  it('refuses a key no one lists, one signing past the last trusted head, and forged signatures', () => {
    const forged = { ...head(2, old), signature: head(2, stranger).signature };
    expect(keyHandovers([head(2, stranger), head(5, current)], [current], [old])).toEqual([]);
    expect(keyHandovers([head(2, old), head(6, old), head(5, current)], [current], [old])).toEqual([]);
    expect(keyHandovers([forged, head(5, current)], [current], [old])).toEqual([]);
    expect(keyForHead(head(2, stranger), [current], [])).toBeNull();
  });
});
