import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  computeKeyId,
  generateSigningKeyPair,
  isTreeHeadDue,
  loadPublicKey,
  loadSigningKey,
  publicKeySpkiBase64,
  signTreeHead,
  signingKeyFromEnv,
  treeHeadSigningBytes,
  verifyTreeHead,
} from './sth.js';
import { codeOf } from './code-of.test-helper.js';

const head = {
  treeSize: 8,
  rootHash: '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  timestamp: '2025-01-02T03:04:05.678Z',
};

describe('signed tree heads', () => {
  const pair = generateSigningKeyPair();
  const key = loadSigningKey(pair.privateKeyPem);
  const pub = loadPublicKey(pair.publicKeyPem);

  it('key id is the first 16 bytes of SHA-256 over the SPKI DER', () => {
    const der = Buffer.from(publicKeySpkiBase64(pub.publicKey), 'base64');
    expect(pub.keyId).toBe(createHash('sha256').update(der).digest('hex').slice(0, 32));
    expect(key.keyId).toBe(pair.keyId);
    expect(loadPublicKey(der.toString('base64')).keyId).toBe(pair.keyId);
  });

  it('signs the documented canonical bytes', () => {
    const sth = signTreeHead(head, key);
    expect(treeHeadSigningBytes(sth).toString('utf8')).toBe(
      `{"format":"mod.audit.tree-head.v1","keyId":"${key.keyId}","rootHash":"${head.rootHash}","timestamp":"${head.timestamp}","treeSize":8}`,
    );
    expect(verifyTreeHead(sth, [pub])).toMatchObject({ ok: true });
  });

  it('fails on any altered field, and on a key that is not trusted', () => {
    const sth = signTreeHead(head, key);
    expect(verifyTreeHead({ ...sth, treeSize: 9 }, [pub])).toEqual({ ok: false, code: 'bad_signature' });
    expect(verifyTreeHead({ ...sth, rootHash: '00' + sth.rootHash.slice(2) }, [pub])).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    expect(verifyTreeHead({ ...sth, timestamp: '2025-01-02T03:04:05.679Z' }, [pub])).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    expect(verifyTreeHead({ ...sth, signature: 'AAAA' }, [pub])).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    const other = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    expect(verifyTreeHead(sth, [other])).toEqual({ ok: false, code: 'unknown_key' });
    // A forger who relabels its own key with the real id still fails the signature check.
    expect(verifyTreeHead({ ...signTreeHead(head, other), keyId: key.keyId }, [pub])).toEqual({
      ok: false,
      code: 'bad_signature',
    });
  });

  it('rotation: a verifier trusting old and new keys accepts heads from both', () => {
    const next = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    const trusted = [pub, loadPublicKey(publicKeySpkiBase64(next.publicKey))];
    expect(verifyTreeHead(signTreeHead(head, key), trusted).ok).toBe(true);
    expect(verifyTreeHead(signTreeHead({ ...head, treeSize: 9 }, next), trusted).ok).toBe(true);
  });

  it('loads the signing key from the environment, one-line PEM included', () => {
    const oneLine = pair.privateKeyPem.trim().replace(/\n/g, '\\n');
    expect(signingKeyFromEnv({ MOD_AUDIT_SIGNING_KEY_PEM: oneLine }).keyId).toBe(pair.keyId);
    expect(codeOf(() => signingKeyFromEnv({}))).toBe('MOD_ERR_AUDIT_KEY_INVALID');
  });

  it('refuses keys that are not Ed25519, or not keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(codeOf(() => loadPublicKey(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()))).toBe(
      'MOD_ERR_AUDIT_KEY_INVALID',
    );
    expect(codeOf(() => loadSigningKey('not a key'))).toBe('MOD_ERR_AUDIT_KEY_INVALID');
    expect(computeKeyId(pub.publicKey)).toHaveLength(32);
  });

  it('schedules heads every N records or T ms, only when something was appended', () => {
    const schedule = { everyRecords: 100, everyMs: 10_000 };
    expect(isTreeHeadDue(null, { treeSize: 0, nowMs: 0 }, schedule)).toBe(false);
    expect(isTreeHeadDue(null, { treeSize: 1, nowMs: 0 }, schedule)).toBe(true);
    const last = { treeSize: 50, signedAtMs: 1_000 };
    expect(isTreeHeadDue(last, { treeSize: 149, nowMs: 5_000 }, schedule)).toBe(false);
    expect(isTreeHeadDue(last, { treeSize: 150, nowMs: 5_000 }, schedule)).toBe(true);
    expect(isTreeHeadDue(last, { treeSize: 51, nowMs: 11_000 }, schedule)).toBe(true);
    expect(isTreeHeadDue(last, { treeSize: 50, nowMs: 99_000 }, schedule)).toBe(false);
  });
});
