import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModError, type Verdict } from '@mod/contracts';
import type { MediaHashes } from '@mod/hashing';
import { hashMedia } from '@mod/hashing/decode';
import { BankMatcher } from '@mod/matcher';
import { Counter, createRegistry, createStepMetrics, stageTimer } from '@mod/telemetry';
import { uploadedMediaMessage } from '@mod/testing';
import { createKeeper, evidenceItemId, sha256Hex, VaultError, VaultErrorCode } from '@mod/vault';
import { createMemoryEvidenceStore } from '@mod/vault/testing';
import type { BankMeta } from './bank-sync.js';
import { createScanStep } from './scan-step.js';
import type { ScanStore } from './scan-store.js';
import { hitsNeedReview } from './steps/keep-evidence.js';

// The scanner seals media whose hits are only in review banks (a person must look) before it publishes the
// verdict that opens the review case; an automatic hit or no hit keeps nothing.

const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const unrelated = readFileSync(
  new URL('../../../packages/hashing/fixtures/pdq/pen-and-coaster.png', import.meta.url),
);
const photoHashes: MediaHashes = await hashMedia(photo);
const MEDIA_TOPIC = 'p.mod.media-submitted.v2';

const store: ScanStore = {
  tenants: { get: async () => ({ kind: 'platform', disabled: false }) },
  claimSubmission: async (s) => ({ created: true, tenantId: s.tenantId, sha256: null }),
  markFailed: async () => undefined,
  bindDigest: async (_s, sha256) => sha256,
  entryCategories: async (ids) => new Map(ids.map((id) => [id, null])),
};

/** A matcher with the photo's PDQ in one bank of the given action policy. */
function banks(actionPolicy: 'review' | 'automatic') {
  const matcher = new BankMatcher();
  matcher.applyChange({
    type: 'bank-upserted',
    bank: { bankId: 'b', enabled: true, negative: false, thresholds: {} },
  });
  matcher.applyChange({
    type: 'entry-added',
    entry: { bankId: 'b', entryId: '1', signal: 'pdq', value: photoHashes.pdq, quality: 100 },
  });
  const meta: BankMeta = { name: `${actionPolicy} bank`, actionPolicy };
  return { matcher: () => matcher, meta: () => meta };
}

const message = (submissionId: string, value: Buffer) =>
  uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value });

function harness(actionPolicy: 'review' | 'automatic', keep?: () => Promise<void>) {
  const vault = createMemoryEvidenceStore();
  const keeper = createKeeper(vault, { service: 'scanner', reason: 'review-bank' });
  const events: string[] = [];
  const step = createScanStep({
    // As runHashTask does: a buffer that owns all its memory is moved to a worker thread (detached here); a view
    // into a larger buffer is copied.
    hash: async (bytes) => {
      const moved = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const own = moved ? structuredClone(bytes, { transfer: [bytes.buffer as ArrayBuffer] }) : bytes.slice();
      return { ok: true, hashes: await hashMedia(own) };
    },
    dihedral: false,
    banks: banks(actionPolicy),
    store,
    publish: async (v: Verdict) => {
      events.push(`verdict ${v.decision}`);
    },
    keepEvidence:
      keep ??
      (async (media) => {
        await keeper(media);
        events.push('kept');
      }),
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    maxMediaBytes: 1024 * 1024,
    hits: new Counter({ name: 'hits', help: 'h', labelNames: ['signal'], registers: [createRegistry('t')] }),
    stages: stageTimer(createStepMetrics(createRegistry('t2')), 'scan'),
  });
  return { step, vault, events };
}

const all = { all: true } as const;

describe('scan step: evidence', () => {
  it('seals media with a hit in a review bank before the verdict, with all its bytes although the pool took its copy', async () => {
    const h = harness('review');
    const id = randomUUID();
    // A buffer that owns its memory: the pool would move it.
    const value = Buffer.from(Uint8Array.prototype.slice.call(photo).buffer);
    expect(await h.step(message(id, value))).toEqual({ kind: 'ok' });
    expect(h.events).toEqual(['kept', 'verdict match']);
    const item = await h.vault.get(evidenceItemId('platform-1', id), all);
    expect(item).toMatchObject({ reason: 'review-bank', sha256: sha256Hex(photo), sizeBytes: photo.length });
    const opened = await h.vault.open(item!.id, {
      scope: all,
      by: { actor: { kind: 'user', id: 'r' }, role: 'reviewer', tenantId: 'h' },
      view: 'reveal',
      at: new Date(),
    });
    expect(opened?.bytes.equals(photo)).toBe(true);
  });

  it('seals all the bytes of a record that is a view into a fetched batch too', async () => {
    const h = harness('review');
    const id = randomUUID();
    const batch = Buffer.concat([randomBytes(333), photo, randomBytes(77)]);
    expect(await h.step(message(id, batch.subarray(333, 333 + photo.length)))).toEqual({ kind: 'ok' });
    const opened = await h.vault.open(evidenceItemId('platform-1', id), {
      scope: all,
      by: { actor: { kind: 'user', id: 'r' }, role: 'reviewer', tenantId: 'h' },
      view: 'verify',
      at: new Date(),
    });
    expect(opened?.bytes.equals(photo)).toBe(true);
    expect(batch.subarray(333, 333 + photo.length).equals(photo)).toBe(true);
  });

  it('keeps nothing for an automatic hit or no hit', async () => {
    const automatic = harness('automatic');
    expect(await automatic.step(message(randomUUID(), Buffer.from(photo)))).toEqual({ kind: 'ok' });
    const review = harness('review');
    expect(await review.step(message(randomUUID(), Buffer.from(unrelated)))).toEqual({ kind: 'ok' });
    expect([...automatic.events, ...review.events]).toEqual(['verdict match', 'verdict no-match']);
    expect(await automatic.vault.list({ scope: all, limit: 5 })).toEqual([]);
    expect(await review.vault.list({ scope: all, limit: 5 })).toEqual([]);
  });

  it('dead-letters media the vault refuses (no verdict goes out) and retries an outage', async () => {
    const refused = harness('review', () =>
      Promise.reject(new VaultError(VaultErrorCode.INVALID_ITEM, 'no')),
    );
    expect(await refused.step(message(randomUUID(), Buffer.from(photo)))).toMatchObject({
      kind: 'dlq',
      code: VaultErrorCode.INVALID_ITEM,
    });
    const outage = harness('review', () =>
      Promise.reject(new ModError('MOD_ERR_DB_UNAVAILABLE', 'away', { retriable: true })),
    );
    await expect(outage.step(message(randomUUID(), Buffer.from(photo)))).rejects.toMatchObject({
      code: 'MOD_ERR_DB_UNAVAILABLE',
    });
    expect([...refused.events, ...outage.events]).toEqual([]);
  });

  it('needs review exactly when policy opens a review case: review-bank hits only, none negative', () => {
    const hit = (actionPolicy: 'review' | 'automatic', negative = false) => ({ actionPolicy, negative });
    expect(hitsNeedReview([])).toBe(false);
    expect(hitsNeedReview([hit('review')])).toBe(true);
    expect(hitsNeedReview([hit('review'), hit('automatic')])).toBe(false);
    expect(hitsNeedReview([hit('review'), hit('review', true)])).toBe(false);
  });
});
