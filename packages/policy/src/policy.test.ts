import { describe, expect, it } from 'vitest';
import type { Classification, Hit } from '@mod/contracts';
import {
  defaultPolicy,
  evaluateConfirmedCase,
  evaluateVerdict,
  framesNeedReview,
  hostOf,
  urlProvenanceOf,
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
/** Content the fetcher fetched at its URL for an ISP (observed): a takedown may go to whichever platform hosts it. */
const observed = { submitterTenantId: 'isp-1', observed: true };
const context = { policy: defaultPolicy, ispSubscribers: ['isp-1', 'isp-2'], urlProvenance: observed, now };
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

  it("sends a takedown for a URL the submitter only claims to the submitter's own platform, never to another's", () => {
    const url = 'https://cdn.platform-b.example/a.jpg';
    const claimedBy = (submitterTenantId: string) => ({
      ...context,
      hostingPlatformTenantId: 'platform-b',
      urlProvenance: { submitterTenantId, observed: false },
    });
    // Platform A claims platform B's URL: blocking as ever, no takedown to B, and the decision says why.
    const foreign = evaluateVerdict({ hits: [hit({})], hashes, url }, claimedBy('platform-a'));
    expect(foreign.orders.map((o) => [o.kind, o.targetTenantId])).toEqual([
      ['blocking', 'isp-1'],
      ['blocking', 'isp-2'],
    ]);
    const withheld = {
      reason: 'claimed-url-of-another-platform',
      url,
      host: 'cdn.platform-b.example',
      platformTenantId: 'platform-b',
      submitterTenantId: 'platform-a',
    };
    expect(foreign.evidence.takedownWithheld).toEqual(withheld);
    expect(foreign.cases[0]?.reason).toMatch(
      /2 order\(s\) issued; no takedown sent to platform-b: https:\/\/cdn\.platform-b\.example\/a\.jpg .*only claimed by platform-a/,
    );
    // Platform B reporting content on its own service gets its own takedown.
    const own = evaluateVerdict({ hits: [hit({})], hashes, url }, claimedBy('platform-b'));
    expect(own.orders.find((o) => o.kind === 'takedown')?.targetTenantId).toBe('platform-b');
    expect(own.evidence.takedownWithheld).toBeUndefined();
    expect(own.cases[0]?.reason).toMatch(/3 order\(s\) issued$/);
    // A URL the system observed (the fetcher fetched it) addresses the platform hosting it, whoever submitted it.
    const seen = evaluateVerdict(
      { hits: [hit({})], hashes, url },
      { ...claimedBy('platform-a'), urlProvenance: { submitterTenantId: 'platform-a', observed: true } },
    );
    expect(seen.orders.find((o) => o.kind === 'takedown')?.targetTenantId).toBe('platform-b');
    // A person's confirmation follows the same rule.
    const confirmed = evaluateConfirmedCase(
      {
        sha256: hashes.sha256,
        url,
        hits: [hit({ actionPolicy: 'review' })],
        category: 'A',
        confirmedBy: 'reviewer',
      },
      claimedBy('platform-a'),
    );
    expect(confirmed.orders.map((o) => o.kind)).toEqual(['blocking', 'blocking']);
    expect(confirmed.evidence.takedownWithheld).toEqual(withheld);
    expect(confirmed.cases[0]?.reason).toMatch(/no takedown sent to platform-b/);
    // The same as codes, naming the platform the takedown was withheld from (its URL stays in the findings).
    expect(foreign.cases[0]?.caseReason).toEqual({
      code: 'confirm-automatic',
      banks: ['bank'],
      categories: ['A'],
      orders: 2,
      takedownWithheldTo: 'platform-b',
    });
    expect(confirmed.cases[0]?.caseReason).toEqual({
      code: 'confirm-confirmed',
      confirmedBy: 'reviewer',
      category: 'A',
      orders: 2,
      takedownWithheldTo: 'platform-b',
    });
    // No platform known for the host: nothing withheld, nothing to say.
    const unmapped = evaluateVerdict(
      { hits: [hit({})], hashes, url },
      { ...claimedBy('platform-a'), hostingPlatformTenantId: null },
    );
    expect(unmapped.evidence.takedownWithheld).toBeUndefined();
  });

  it('tells an observed URL from a claimed one by the submission source the database records', () => {
    expect(urlProvenanceOf({ tenantId: 'isp-1', source: 'fetcher' })).toEqual(observed);
    expect(urlProvenanceOf({ tenantId: 'public-reports', source: 'report' }).observed).toBe(true);
    for (const source of ['kafka', 'api', 'anything-else'])
      expect(urlProvenanceOf({ tenantId: 'platform-a', source })).toEqual({
        submitterTenantId: 'platform-a',
        observed: false,
      });
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

  it("keeps the classifier's frames in the evidence, and sends frames it left unscored to review", () => {
    const frames = { count: 40, examined: 40, scored: 12, riskFrame: 7 };
    const high = evaluateVerdict(
      { hits: [], hashes, classification: { ...classification(true, 0.9), frames } },
      context,
    );
    expect(high.evidence.classification).toEqual({
      riskScore: 0.9,
      reviewRequired: true,
      apparentMinor: true,
      frames,
    });
    expect(high.cases[0]?.caseReason).toEqual({ code: 'review-classifier', riskScore: 0.9 });
    // Every frame scored below the threshold: nothing to do.
    const low = { ...classification(false, 0.1), frames };
    expect(evaluateVerdict({ hits: [], hashes, classification: low }, context).outcome).toBe('none');
    // Frames past the bound, or an animated PNG's later frames, unscored: a person looks, told why.
    for (const unexamined of ['frame-limit', 'no-decoder'] as const) {
      const partial = { ...low, frames: { ...frames, examined: 8, scored: 8, unexamined } };
      const d = evaluateVerdict({ hits: [], hashes, classification: partial }, context);
      expect(d).toMatchObject({ outcome: 'review', orders: [], cases: [{ kind: 'review' }] });
      expect(d.cases[0]?.caseReason).toEqual({
        code: 'review-frames-unscored',
        examined: 8,
        count: 40,
        why: unexamined,
      });
      expect(d.cases[0]?.reason).toBe(`only 8 of 40 frames classified (${unexamined})`);
    }
  });

  it("says why the scanner left an animated PNG's later frames unhashed: no decoder reads them", () => {
    const frames = { count: 4, examined: 1, hashed: 1, unexamined: 'no-decoder' as const };
    const d = evaluateVerdict({ hits: [], hashes, frames }, context);
    expect(d).toMatchObject({ outcome: 'review', orders: [], evidence: { frames } });
    expect(d.cases[0]).toMatchObject({
      reason:
        'only 1 of 4 frames hashed (an animated PNG: no decoder reads the others), nothing matched in them',
      caseReason: { code: 'review-frames-unhashed', examined: 1, count: 4, why: 'no-decoder' },
    });
  });

  it('sends a multi-frame file to review when frames past the bound went unhashed and nothing decided it', () => {
    const some = { count: 300, examined: 128, hashed: 40 };
    const all = { count: 300, examined: 300, hashed: 40 };
    const review = evaluateVerdict({ hits: [], hashes, frames: some }, context);
    expect(review).toMatchObject({
      outcome: 'review',
      orders: [],
      cases: [
        {
          kind: 'review',
          reason: 'only 128 of 300 frames hashed, nothing matched in them',
          caseReason: { code: 'review-frames-unhashed', examined: 128, count: 300 },
        },
      ],
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
      {
        sha256: hashes.sha256,
        hits: frameBenign.evidence.hits,
        frames: frameBenign.evidence.frames,
        category: 'A',
        confirmedBy: 'reviewer',
      },
      context,
    );
    expect(confirmed.orders.map((o) => o.bankIds)).toEqual([[], []]);
    // The authority's confirmation case keeps the frames examined, as the reviewer's case had them.
    expect(confirmed.evidence.frames).toEqual(some);
  });

  it('reads hosts only from http(s) URLs', () => {
    expect(hostOf('https://Example.COM./x')).toBe('example.com');
    expect(hostOf('ftp://example.com/x')).toBeNull();
    expect(hostOf('not a url')).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });
});
