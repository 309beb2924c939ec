import { describe, expect, it } from 'vitest';
import {
  changeReviewSettings,
  checkQueueFilter,
  checkReveal,
  decodeCursor,
  defaultReviewSettings,
  encodeCursor,
  exposureDay,
  exposureDayRefusal,
  exposureStanding,
  previewOptions,
  PREVIEW_BLUR_SIGMA,
  refusalText,
  RefusalTexts,
  ReviewRefusalCode,
} from './index.js';

describe('queue filters', () => {
  it('accepts a filter whose ranges hold and whose kind is in the role’s queue', () => {
    const f = {
      role: 'reviewer' as const,
      status: 'open' as const,
      minScore: 0.5,
      maxScore: 0.5,
      kind: 'review' as const,
    };
    expect(checkQueueFilter(f)).toBe(f);
    expect(
      checkQueueFilter({ role: 'authority', status: 'all', kind: 'escalation', minAgeMinutes: 0 }),
    ).toMatchObject({
      role: 'authority',
    });
  });

  it.each([
    [{ kind: 'confirm' as const }],
    [{ minScore: 1.5 }],
    [{ maxScore: -0.1 }],
    [{ minScore: Number.NaN }],
    [{ minScore: 0.8, maxScore: 0.2 }],
    [{ minAgeMinutes: -1 }],
    [{ minAgeMinutes: 60, maxAgeMinutes: 10 }],
  ])('refuses %j', (bad) => {
    expect(checkQueueFilter({ role: 'reviewer', status: 'open', ...bad })).toMatchObject({
      code: ReviewRefusalCode.FilterInvalid,
    });
  });
});

describe('cursors', () => {
  const position = {
    createdAt: new Date('2026-03-01T10:00:00.123Z'),
    id: '0b8e2f4c-1d2a-4f6b-9c3e-5a7d8e9f0a1b',
  };

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    'not a cursor!',
    '',
    Buffer.from('2026-03-01T10:00:00.123Z|not-a-uuid').toString('base64url'),
    Buffer.from(`yesterday|${position.id}`).toString('base64url'),
    Buffer.from(`2026-03-01T10:00:00Z|${position.id}`).toString('base64url'),
    Buffer.from(`2026-03-01T10:00:00.123Z|${position.id}|x`).toString('base64url'),
    // Times JavaScript round-trips but the database cannot read (years out of its range or never written),
    // a time only JavaScript parses, month 13, and ids that are no UUID.
    Buffer.from(`-271821-04-20T00:00:00.000Z|${position.id}`).toString('base64url'),
    Buffer.from(`+275760-09-13T00:00:00.000Z|${position.id}`).toString('base64url'),
    Buffer.from(`Jan 1 2020 (x)|${position.id}`).toString('base64url'),
    Buffer.from(`2026-13-01T00:00:00.000Z|${position.id}`).toString('base64url'),
    Buffer.from(`2026-03-01T10:00:00.123Z|${'-'.repeat(36)}`).toString('base64url'),
    Buffer.from(`2026-03-01T10:00:00.123Z|${position.id.toUpperCase()}`).toString('base64url'),
  ])('refuses %j', (cursor) => {
    expect(decodeCursor(cursor)).toMatchObject({ code: ReviewRefusalCode.CursorInvalid });
  });
});

describe('review settings and previews', () => {
  it('blurs, greys and reduces by default; the blur can be turned off, never the greyscale', () => {
    expect(previewOptions(defaultReviewSettings)).toEqual({
      greyscale: true,
      maxSide: 256,
      blurSigma: PREVIEW_BLUR_SIGMA,
    });
    const noBlur = changeReviewSettings(defaultReviewSettings, { previewBlur: false, previewMaxSide: 128 });
    expect(noBlur).toEqual({ previewBlur: false, previewMaxSide: 128 });
    expect(previewOptions(noBlur as typeof defaultReviewSettings)).toEqual({
      greyscale: true,
      maxSide: 128,
      blurSigma: 0,
    });
  });

  it.each([63, 513, 100.5])('refuses a preview side of %d', (side) => {
    expect(changeReviewSettings(defaultReviewSettings, { previewMaxSide: side })).toMatchObject({
      code: ReviewRefusalCode.SettingInvalid,
    });
  });
});

describe('daily exposure', () => {
  it('counts towards the reviewers’ local day', () => {
    const lateUtc = new Date('2026-03-01T18:30:00Z');
    expect(exposureDay(lateUtc, 0)).toBe('2026-03-01');
    expect(exposureDay(lateUtc, 420)).toBe('2026-03-02');
  });

  it('allows reveals without a limit, and up to the limit when one is set', () => {
    expect(checkReveal(10_000, 0)).toEqual({ ok: true });
    expect(checkReveal(4, 5)).toEqual({ ok: true });
    expect(checkReveal(5, 5)).toMatchObject({ code: ReviewRefusalCode.ExposureLimit });
  });

  it('says where a person stands against a limit: none, under, near (four fifths), reached', () => {
    expect([0, 500].map((n) => exposureStanding(n, 0))).toEqual(['none', 'none']);
    expect([0, 7, 8, 9, 10, 11].map((n) => exposureStanding(n, 10))).toEqual([
      'under',
      'under',
      'near',
      'near',
      'reached',
      'reached',
    ]);
    expect([0, 1].map((n) => exposureStanding(n, 1))).toEqual(['under', 'reached']);
  });

  it('lets a supervisor read today and the year before, never a later day or a date that is none', () => {
    expect(exposureDayRefusal('2026-03-02', '2026-03-02')).toBeNull();
    expect(exposureDayRefusal('2025-03-01', '2026-03-02')).toBeNull();
    expect(exposureDayRefusal('2025-02-28', '2026-03-02')).toMatch(/more than 366 days/);
    expect(exposureDayRefusal('2026-03-03', '2026-03-02')).toMatch(/after today/);
    for (const bad of ['2026-02-30', '2026-3-1', 'yesterday', '2026-03-01T00:00:00Z'])
      expect(exposureDayRefusal(bad, '2026-03-02')).toMatch(/YYYY-MM-DD/);
  });
});

describe('texts', () => {
  it('has every refusal in Vietnamese (the default) and English', () => {
    for (const code of Object.values(ReviewRefusalCode)) {
      expect(RefusalTexts[code].vi.length, code).toBeGreaterThan(5);
      expect(RefusalTexts[code].en.length, code).toBeGreaterThan(5);
    }
    expect(refusalText(ReviewRefusalCode.SamePerson)).toContain('hai người');
    expect(refusalText(ReviewRefusalCode.SamePerson, 'en')).toContain('two people');
  });
});
