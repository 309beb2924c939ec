import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createBank } from '@mod/curation';
import { hashMedia } from '@mod/hashing/decode';
import { tenantWithKey } from '@mod/testing';
import { indexedEntries, makePhoto, scanViaKafka, waitFor } from './helpers.js';
import { partner, pipeline, usePlatformWorld, world } from './file-world.js';

// The evidence vault through the real stack: media that needs a person is sealed by the service that has its
// bytes (the classifier above the review threshold, the scanner on a review-bank hit) before the message that
// opens the case; the case's row names the item; PostgreSQL holds ciphertext, never the picture.

usePlatformWorld({
  pipeline: {
    env: { RISK_REVIEW_THRESHOLD: '0.000001', MOD_VAULT_MASTER_KEY: randomBytes(32).toString('base64') },
    classifier: true,
  },
});
let adminKey: string;

beforeAll(async () => {
  adminKey = await tenantWithKey(world.db, { id: 'ops', kind: 'admin', role: 'admin' });
});

interface EvidenceRow {
  id: string;
  reason: string;
  sha256: string;
  case_id: string | null;
  ciphertext: Buffer | null;
}

/** The review case of a submission and its evidence row, once both exist. */
const caseAndEvidence = (submissionId: string) =>
  waitFor(`the review case of ${submissionId} and its evidence`, async () => {
    const cases = await world.db.query<{ id: string }>(
      `select id from cases where kind = 'review' and submission_id = $1`,
      [submissionId],
    );
    const items = await world.db.query<EvidenceRow>(
      'select id, reason, sha256, case_id, ciphertext from evidence_items where submission_id = $1',
      [submissionId],
    );
    const caseId = cases.rows[0]?.id;
    const item = items.rows[0];
    return caseId !== undefined && item !== undefined ? { caseId, item, count: items.rowCount } : undefined;
  });

/** Whether any 32-byte stretch of `image` (every 16 bytes) appears in `stored`. */
const holdsRunOf = (stored: Buffer, image: Buffer) => {
  for (let at = 0; at + 32 <= image.length; at += 16)
    if (stored.includes(image.subarray(at, at + 32))) return true;
  return false;
};

describe('evidence vault (real Kafka and PostgreSQL)', () => {
  it('the classifier seals media above the review threshold before its case opens; the case names it', async () => {
    const photo = await makePhoto(611);
    const verdict = await scanViaKafka(world, partner, photo);
    expect(verdict.decision).toBe('no-match');
    const { caseId, item, count } = await caseAndEvidence(verdict.submissionId);
    expect(count).toBe(1);
    expect(item).toMatchObject({ reason: 'classifier', sha256: verdict.hashes.sha256, case_id: caseId });
    expect(item.ciphertext).not.toBeNull();
    expect(item.ciphertext!.equals(photo)).toBe(false);
    expect(holdsRunOf(item.ciphertext!, photo)).toBe(false);

    // Oversight sees it in its case; the API checks it on the server without sending the bytes.
    const listed = await pipeline.app.inject({
      method: 'GET',
      url: `/v1/evidence?submissionId=${verdict.submissionId}`,
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(listed.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({ id: item.id, state: 'in-case', caseId }),
    ]);
    const verified = await pipeline.app.inject({
      method: 'POST',
      url: `/v1/evidence/${item.id}/verify`,
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(verified.json()).toMatchObject({ intact: true, sha256: verdict.hashes.sha256 });
  });

  it('the scanner seals media whose only hit is in a review bank before its verdict', async () => {
    const photo = await makePhoto(612);
    const { bank } = await createBank(
      world.db,
      { name: 'review-me', source: 'e2e', signalTypes: ['blockhash'], actionPolicy: 'review' },
      world.topics.bankChanges,
    );
    const before = indexedEntries(pipeline);
    const { blockhash } = await hashMedia(photo);
    await addEntries(
      world.db,
      bank.id,
      [{ signal: 'blockhash', value: blockhash }],
      world.topics.bankChanges,
    );
    await waitFor('the scanner to apply the review bank', async () => indexedEntries(pipeline) > before);

    const verdict = await scanViaKafka(world, partner, photo);
    expect(verdict.decision).toBe('match');
    expect(verdict.hits.map((h) => h.actionPolicy)).toEqual(['review']);
    const { caseId, item } = await caseAndEvidence(verdict.submissionId);
    expect(item).toMatchObject({ reason: 'review-bank', case_id: caseId, sha256: verdict.hashes.sha256 });
    expect(holdsRunOf(item.ciphertext!, photo)).toBe(false);
  });
});
