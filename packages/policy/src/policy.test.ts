import { describe, expect, it } from 'vitest';
import type { Classification, Hit } from '@mod/contracts';
import {
  defaultPolicy,
  evaluateConfirmedCase,
  evaluateVerdict,
  framesNeedReview,
  hostOf,
  type PolicyConfig,
} from './index.js';

const hit = (over: Partial<Hit>): Hit => ({
  bankId: 'b1',
  bankName: 'bank',
  entryId: '1',
  signal: 'pdq',
  distance: 3,
  category: 'A',
  actionPolicy: 'automatic',
  negative: false,
  ...over,
});
const hashes = { sha256: 'a'.repeat(64), sha1: 'b'.repeat(40), md5: 'c'.repeat(32) };
const now = new Date('2026-01-01T00:00:00Z');
const context = { policy: defaultPolicy, ispSubscribers: ['isp-1', 'isp-2'], now };
const classification = (reviewRequired: boolean, score: number): Classification => ({
  scores: { drawing: 0, hentai: 0, neutral: 1 - score, porn: score, sexy: 0 },
  apparentMinor: {
    probability: score,
    flagged: reviewRequired,
    facesEvaluated: true,
    ageThresholdYears: 18,
    probabilityThreshold: 0.5,
  },
  risk: { score, reviewRequired, explanation: 'test' },
  models: [],
  backend: 'test',
  cached: false,
});

describe('evaluateVerdict', () => {
  it('orders blocking at every subscribed ISP for an automatic bank hit, with the deadline from policy', () => {
    const d = evaluateVerdict({ hits: [hit({}), hit({ bankId: 'b0', entryId: '2' })], hashes }, context);
    expect(d.outcome).toBe('block');
    expect(d.orders.map((o) => [o.kind, o.targetTenantId])).toEqual([
      ['blocking', 'isp-1'],
      ['blocking', 'isp-2'],
    ]);
    expect(d.orders[0]).toMatchObject({
      subject: { type: 'content-hash', value: hashes.sha256 },
      bankIds: ['b0', 'b1'],
      renoticeIntervalMs: 24 * 3_600_000,
      verifyUrl: null,
    });
    expect(d.orders[0]?.deadlineAt.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(d.evidence.policyVersion).toBe(defaultPolicy.version);
    expect(d.cases).toEqual([
      expect.objectContaining({ kind: 'confirm', assignee: defaultPolicy.confirmingAuthority }),
    ]);
  });

  it('adds a takedown order for the hosting platform, with its own deadline, when the URL host is mapped', () => {
    const policy: PolicyConfig = {
      ...defaultPolicy,
      takedown: { legalBasis: 'EU TCO', deadlineHours: 1 },
      renoticeIntervalHours: 6,
    };
    const url = 'https://cdn.host.example/a.jpg';
    const d = evaluateVerdict(
      { hits: [hit({})], hashes, url },
      { ...context, policy, hostingPlatformTenantId: 'platform-9' },
    );
    const takedown = d.orders.find((o) => o.kind === 'takedown');
    expect(takedown).toMatchObject({
      targetTenantId: 'platform-9',
      subject: { type: 'url', value: url },
      legalBasis: 'EU TCO',
      verifyUrl: url,
      renoticeIntervalMs: 6 * 3_600_000,
    });
    expect(takedown?.deadlineAt.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    // Without a known platform there is no takedown, only blocking.
    const unknown = evaluateVerdict({ hits: [hit({})], hashes, url }, context);
    expect(unknown.orders.every((o) => o.kind === 'blocking')).toBe(true);
  });

  it('blocks the URL or host subject a fetcher verdict names instead of the content hash', () => {
    const d = evaluateVerdict(
      { hits: [hit({})], hashes, subject: { type: 'host', value: 'bad.example' } },
      context,
    );
    expect(d.orders[0]?.subject).toEqual({ type: 'host', value: 'bad.example' });
  });

  it('sends review-bank hits and classifier-only signals to review without orders, suppresses on a negative bank', () => {
    expect(evaluateVerdict({ hits: [hit({ actionPolicy: 'review' })], hashes }, context)).toMatchObject({
      outcome: 'review',
      orders: [],
      cases: [{ kind: 'review' }],
    });
    const flagged = evaluateVerdict(
      { hits: [], hashes, classification: classification(true, 0.91) },
      context,
    );
    expect(flagged).toMatchObject({ outcome: 'review', orders: [], cases: [{ kind: 'review' }] });
    expect(flagged.evidence.classification).toEqual({
      riskScore: 0.91,
      reviewRequired: true,
      apparentMinor: true,
    });
    expect(
      evaluateVerdict({ hits: [], hashes, classification: classification(false, 0.1) }, context),
    ).toMatchObject({ outcome: 'none', orders: [], cases: [] });
    expect(evaluateVerdict({ hits: [hit({}), hit({ negative: true })], hashes }, context)).toMatchObject({
      outcome: 'suppressed',
      orders: [],
      cases: [],
    });
    expect(evaluateVerdict({ hits: [], hashes }, context)).toMatchObject({ outcome: 'none', orders: [] });
  });

  it('sends a multi-frame file to review when frames past the bound went unhashed and nothing decided it', () => {
    const some = { count: 300, examined: 128, hashed: 40 };
    const all = { count: 300, examined: 300, hashed: 40 };
    const review = evaluateVerdict({ hits: [], hashes, frames: some }, context);
    expect(review).toMatchObject({
      outcome: 'review',
      orders: [],
      cases: [{ kind: 'review', reason: 'only 128 of 300 frames hashed, nothing matched in them' }],
      evidence: { frames: some },
    });
    expect(framesNeedReview({ hits: [], frames: some })).toBe(true);
    // Every frame examined, or a hit that decides: as for a still image.
    expect(evaluateVerdict({ hits: [], hashes, frames: all }, context).outcome).toBe('none');
    expect(evaluateVerdict({ hits: [hit({ frame: 7 })], hashes, frames: some }, context).outcome).toBe(
      'block',
    );
    // A known-benign frame covers itself, not the frames never hashed; the file known benign covers them all.
    const frameBenign = evaluateVerdict(
      { hits: [hit({ negative: true, frame: 0 })], hashes, frames: some },
      context,
    );
    expect([frameBenign.outcome, frameBenign.evidence.hits]).toEqual([
      'review',
      [hit({ negative: true, frame: 0 })],
    ]);
    const fileBenign = { hits: [hit({ negative: true, signal: 'sha256' })], frames: some };
    expect(evaluateVerdict({ ...fileBenign, hashes }, context).outcome).toBe('suppressed');
    expect(framesNeedReview(fileBenign)).toBe(false);
    // A person confirming the frames case: orders for the content, never grounded on the benign frame's bank.
    const confirmed = evaluateConfirmedCase(
      { sha256: hashes.sha256, hits: frameBenign.evidence.hits, category: 'A', confirmedBy: 'reviewer' },
      context,
    );
    expect(confirmed.orders.map((o) => o.bankIds)).toEqual([[], []]);
  });

  it('reads hosts only from http(s) URLs', () => {
    expect(hostOf('https://Example.COM./x')).toBe('example.com');
    expect(hostOf('ftp://example.com/x')).toBeNull();
    expect(hostOf('not a url')).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });
});
