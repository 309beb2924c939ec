import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, loadSigningKey } from '@mod/audit';
import { auditConsistencyProof, registerAuditPublicKeys } from '@mod/db/audit';
import { auditCommand } from './audit.js';
import { db, json, runExpecting, rotatedAuditLog, useAuditorLog } from './modctl-database.test-helper.js';

// modctl audit verify-consistency across a key rotation with the proof as the API answers it
// (auditConsistencyProof with the signing key: GET /v1/audit/consistency-proof): the proof carries the log's key
// history signed by the current key, so the auditor needs the current key alone; a history altered, or signed by a
// key the auditor does not trust, is refused with a typed error. Real PostgreSQL, the real modctl code.

const { file, pair } = useAuditorLog('audit-consistency-history');

describe('modctl audit verify-consistency with the key history the proof carries', () => {
  it('proves a head of the rotated-out key against the new key alone, and refuses a history not the trusted key’s', async () => {
    // The rotation between two heads: the old key signed the kept head of size 3, the new key the later one.
    const { old, fresh, kept, later, logId, freshKey } = await rotatedAuditLog(pair, file);
    expect(later).toMatchObject({ treeSize: 5, keyId: fresh.keyId });
    const keptFile = file('kept.json');
    await writeFile(keptFile, JSON.stringify(kept));
    const proof = await auditConsistencyProof(db.pool, [fresh, old], kept.treeSize, undefined, {
      signingKey: fresh,
    });
    expect(proof).toMatchObject({ size1: 3, size2: 5, treeHead2: later });
    expect(proof.history).toMatchObject({
      format: 'mod.audit.bundle.v3',
      logId,
      treeHead: later,
      entries: [],
      keyHistory: [
        { keyId: old.keyId, fromSize: 2, toSize: 3 },
        { keyId: fresh.keyId, fromSize: 5, toSize: null },
      ],
    });
    const verifyWith = async (doc: unknown, exitCode: number) => {
      const proofFile = file(`proof-${Math.random().toString(36).slice(2)}.json`);
      await writeFile(proofFile, JSON.stringify(doc));
      const run = await runExpecting(
        auditCommand,
        ['verify-consistency', keptFile, proofFile, '--key', freshKey],
        exitCode,
      );
      return json(run.out[0]);
    };

    // Only the new key is trusted: the proof's own key history vouches for the old key at size 3.
    expect(await verifyWith(proof, 0)).toEqual({
      ok: true,
      fromSize: 3,
      toSize: 5,
      rootHash: later.rootHash,
      keyId: fresh.keyId,
      logId,
      legacyHeads: 0,
    });
    // Without it the old key's head is unknown (as every proof was before it carried the history).
    const { history, ...bare } = proof;
    expect(await verifyWith(bare, 1)).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_UNKNOWN_KEY' },
    });

    // An entry of the history altered to vouch for the old key past its last head: the scope signature fails.
    const widened = {
      ...history,
      keyHistory: history?.keyHistory.map((k) => (k.keyId === old.keyId ? { ...k, toSize: 9 } : k)),
    };
    expect(await verifyWith({ ...proof, history: widened }, 1)).toMatchObject({
      ok: false,
      error: {
        code: 'MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE',
        message: expect.stringContaining("the proof's key history") as string,
      },
    });

    // A history signed by a key the auditor does not hold (whoever serves the proof, with a key of theirs): its
    // list is no one's word, whatever it says.
    const stranger = loadSigningKey(generateSigningKeyPair().privateKeyPem);
    await registerAuditPublicKeys(db.pool, [stranger]);
    const foreign = await auditConsistencyProof(db.pool, [fresh, old], kept.treeSize, undefined, {
      signingKey: stranger,
    });
    expect(foreign.history?.scopeSignature.keyId).toBe(stranger.keyId);
    expect(await verifyWith(foreign, 1)).toMatchObject({
      ok: false,
      error: {
        code: 'MOD_ERR_AUDIT_UNKNOWN_KEY',
        message: expect.stringContaining('scope is signed by key') as string,
      },
    });
    // A document in its place that is no signed bundle vouches for nothing either.
    expect(await verifyWith({ ...proof, history: history?.keyHistory }, 1)).toMatchObject({
      ok: false,
      error: { code: 'MOD_ERR_AUDIT_BUNDLE_MALFORMED' },
    });
  });
});
