import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '@mod/contracts';
import { hashMedia } from '@mod/hashing/decode';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { BankMatcher } from '@mod/matcher';
import { evaluateVerdict, defaultPolicy } from '@mod/policy';
import { Counter, createRegistry, createStepMetrics, stageTimer } from '@mod/telemetry';
import { uploadedMediaMessage } from '@mod/testing';
import type { BankMeta } from './bank-sync.js';
import { createScanStep } from './scan-step.js';

// Multi-frame media through the scan step (real hashes, a real matcher, an in-memory store): a listed picture as the
// third frame of an animation whose first frame is benign is a match, its hit naming the frame; frames past
// HASH_MAX_FRAMES are never a silent pass.

const image = (path: string) =>
  readFileSync(new URL(`../../../packages/hashing/fixtures/${path}`, import.meta.url));
const [benign, other, listed] = [
  image('pdq/pen-and-coaster.png'),
  image('blockhash/clipper_ship.jpg'),
  image('pdq/bridge-mods/aaa-orig.jpg'),
];
const size = { width: 256, height: 192 };
/** The picture each bank lists, as the GIF's own palette renders it (a one-frame GIF is a still image). */
const listedStill = await hashMedia(await animationOf([listed], { format: 'gif', ...size }));
const benignStill = await hashMedia(await animationOf([benign], { format: 'gif', ...size }));

/** Bank `known` (automatic) lists the listed picture's PDQ; bank `benign` (negative) the benign one's. */
function banks() {
  const matcher = new BankMatcher();
  const metas: Record<string, BankMeta> = {
    known: { name: 'Known material', actionPolicy: 'automatic' },
    benign: { name: 'Known benign', actionPolicy: 'review' },
  };
  for (const [bankId, negative, pdq] of [
    ['known', false, listedStill.pdq],
    ['benign', true, benignStill.pdq],
  ] as const) {
    matcher.applyChange({ type: 'bank-upserted', bank: { bankId, enabled: true, negative, thresholds: {} } });
    matcher.applyChange({
      type: 'entry-added',
      entry: { bankId, entryId: `${bankId}-1`, signal: 'pdq', value: pdq, quality: 100 },
    });
  }
  return { matcher: () => matcher, meta: (id: string) => metas[id] };
}

async function scan(media: Buffer, maxHashedFrames?: number) {
  const published: Verdict[] = [];
  const kept: string[] = [];
  const registry = createRegistry('scan-frames');
  const step = createScanStep({
    hash: async (bytes, options) => ({ ok: true, hashes: await hashMedia(bytes, options) }),
    dihedral: false,
    ...(maxHashedFrames === undefined ? {} : { maxHashedFrames }),
    banks: banks(),
    store: {
      tenants: { get: async () => ({ kind: 'platform', disabled: false }) },
      claimSubmission: async (s) => ({ created: true, tenantId: s.tenantId, sha256: null }),
      markFailed: async () => undefined,
      bindDigest: async (_s, sha256) => sha256,
      entryCategories: async (ids) => new Map(ids.map((id) => [id, 'A1'])),
    },
    publish: async (v) => void published.push(v),
    keepEvidence: async (m) => void kept.push(m.submissionId),
    mediaTopic: 'mod.media-submitted.v2',
    topicPrefix: '',
    maxMediaBytes: 5 * 1024 * 1024,
    hits: new Counter({ name: 'hits', help: 'h', labelNames: ['signal'], registers: [registry] }),
    stages: stageTimer(createStepMetrics(registry), 'scan'),
  });
  const submissionId = randomUUID();
  const outcome = await step(
    uploadedMediaMessage({ topic: 'mod.media-submitted.v2', submissionId, value: media }),
  );
  expect(outcome).toEqual({ kind: 'ok' });
  const verdict = published[0]!;
  const policy = evaluateVerdict(verdict, {
    policy: defaultPolicy,
    ispSubscribers: ['isp-1'],
    urlProvenance: { submitterTenantId: verdict.tenantId, observed: false },
    now: new Date(),
  });
  return { verdict, kept: kept.includes(submissionId), policy };
}

describe('scan step: every frame of a multi-frame file', () => {
  for (const format of ['gif', 'webp'] as const) {
    it(`${format}: a listed third frame behind unlisted ones is a match, the hit naming frame 2`, async () => {
      const media = await animationOf([other, benign, listed], { format, ...size });
      const { verdict, policy } = await scan(media);
      const file = await hashMedia(media, { maxHashedFrames: 1 });
      expect(verdict.decision).toBe('match');
      const hits = verdict.hits.map((h) => [h.bankId, h.signal, h.frame, h.negative, h.category]);
      expect(hits).toEqual([['known', 'pdq', 2, false, 'A1']]);
      expect(verdict.frames).toEqual({ count: 3, examined: 3, hashed: 3 });
      // The exact hashes are the file's, the perceptual ones in the verdict frame 0's.
      expect(verdict.hashes).toMatchObject({ sha256: file.sha256, md5: file.md5, pdq: file.pdq });
      expect(policy.outcome).toBe('block');
      expect(policy.evidence.hits[0]?.frame).toBe(2);
    });
  }

  it('a known-benign first frame suppresses its own frame only: the listed frame after it still matches', async () => {
    const media = await animationOf([benign, other, listed], { format: 'gif', ...size });
    const { verdict, policy } = await scan(media);
    expect(verdict.decision).toBe('match');
    expect(verdict.hits.map((h) => [h.bankId, h.frame])).toEqual([['known', 2]]);
    expect(policy.outcome).toBe('block');
    // Nothing listed after it: the benign frame's negative hit is the verdict (suppressed), as for a still image.
    const alone = await scan(await animationOf([benign, other], { format: 'gif', ...size }));
    expect(alone.verdict.decision).toBe('suppressed');
    expect(alone.verdict.hits.map((h) => [h.bankId, h.frame, h.negative])).toEqual([['benign', 0, true]]);
  });

  it('frames past HASH_MAX_FRAMES: matched on what was hashed, and nothing matched means a person reviews it', async () => {
    const media = await animationOf([other, benign, listed], { format: 'webp', ...size });
    const { verdict, kept, policy } = await scan(media, 2);
    expect(verdict.frames).toEqual({ count: 3, examined: 2, hashed: 2, unexamined: 'frame-limit' });
    // frame 1 (benign, negative) suppresses only itself: the unexamined frame 2 is not let through.
    expect(verdict.decision).toBe('suppressed');
    expect(policy.outcome).toBe('review');
    expect(policy.cases).toEqual([
      expect.objectContaining({
        kind: 'review',
        reason: 'only 2 of 3 frames hashed, nothing matched in them',
      }),
    ]);
    expect(policy.evidence.frames).toEqual({ count: 3, examined: 2, hashed: 2, unexamined: 'frame-limit' });
    expect(kept).toBe(true); // sealed in the vault for the reviewer, as a review-bank hit is
    // A match among the frames hashed decides, whatever the rest holds.
    const matched = await scan(await animationOf([listed, other, benign], { format: 'webp', ...size }), 2);
    expect([matched.verdict.decision, matched.policy.outcome, matched.kept]).toEqual([
      'match',
      'block',
      false,
    ]);
  });

  it('keeps a still image as it was: no frames, no frame on its hits', async () => {
    const { verdict, kept } = await scan(await animationOf([listed], { format: 'gif', ...size }));
    expect(verdict.frames).toBeUndefined();
    expect(verdict.hits.map((h) => 'frame' in h)).toEqual([false]);
    expect(verdict.decision).toBe('match');
    expect(kept).toBe(false);
  });
});
