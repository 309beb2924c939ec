import { describe, expect, it } from 'vitest';
import { ClassifierErrorCode } from './errors.js';
import { DEFAULT_RISK_THRESHOLDS, riskScore, safeFaceGate, type RiskInput } from './risk.js';
import { seededRandom } from '@mod/testing';

function input(p: Partial<RiskInput['nsfw']>, minor = 0): RiskInput {
  const nsfw = { drawing: 0, hentai: 0, neutral: 0, porn: 0, sexy: 0, ...p };
  return { nsfw, apparentMinor: { probability: minor } };
}

describe('riskScore', () => {
  it('scores neutral content low and opens no review', () => {
    const r = riskScore(input({ neutral: 0.98, drawing: 0.01, porn: 0.01 }));
    expect(r.score).toBeCloseTo(0.01, 6);
    expect(r.reviewRequired).toBe(false);
  });

  it('opens a review at the threshold and not just below it', () => {
    expect(riskScore(input({ porn: 0.7, neutral: 0.3 })).reviewRequired).toBe(true);
    expect(riskScore(input({ porn: 0.69, neutral: 0.31 })).reviewRequired).toBe(false);
    expect(riskScore(input({ porn: 0.5 }), { reviewThreshold: 0.5 }).reviewRequired).toBe(true);
  });

  it('counts sexy at its weight, hentai and porn in full', () => {
    expect(riskScore(input({ sexy: 0.8 })).score).toBeCloseTo(0.4, 6);
    expect(riskScore(input({ sexy: 0.8 }), { sexyWeight: 1 }).score).toBeCloseTo(0.8, 6);
    expect(riskScore(input({ hentai: 0.3, porn: 0.3 })).score).toBeCloseTo(0.6, 6);
  });

  it('lets an apparent minor lower the bar for sexual content, never raise neutral content', () => {
    const sexual = input({ porn: 0.4, neutral: 0.6 }, 0.9);
    expect(riskScore({ ...sexual, apparentMinor: { probability: 0 } }).reviewRequired).toBe(false);
    const withMinor = riskScore(sexual);
    expect(withMinor.score).toBeCloseTo(0.4 * 1.9, 6);
    expect(withMinor.reviewRequired).toBe(true);
    const childPhoto = riskScore(input({ neutral: 0.99, porn: 0.01 }, 1));
    expect(childPhoto.reviewRequired).toBe(false);
    expect(riskScore(sexual, { minorWeight: 0 }).reviewRequired).toBe(false);
  });

  it('explains every term and is reproducible from the stored record', () => {
    const stored = JSON.parse(JSON.stringify(input({ porn: 0.55, sexy: 0.3 }, 0.2))) as RiskInput;
    const a = riskScore(stored);
    expect(a).toEqual(riskScore(stored, DEFAULT_RISK_THRESHOLDS));
    expect(a.explanation).toContain('porn 0.550');
    expect(a.explanation).toContain('apparent-minor 0.200');
    expect(a.explanation).toContain('review required');
    expect(a.components).toEqual({ sexual: expect.closeTo(0.7, 6) as number, minorProbability: 0.2 });
  });

  it('clamps the score to 1 and refuses thresholds out of range', () => {
    expect(riskScore(input({ porn: 0.9, hentai: 0.1 }, 1)).score).toBe(1);
    for (const bad of [{ reviewThreshold: 1.5 }, { sexyWeight: -0.1 }, { minorWeight: Number.NaN }]) {
      expect(() => riskScore(input({}), bad)).toThrow(
        expect.objectContaining({ code: ClassifierErrorCode.INVALID_ARGUMENT }) as Error,
      );
    }
  });
});

describe('safeFaceGate', () => {
  it('never changes a decision when the face model is skipped below it', () => {
    const rnd = seededRandom(42);
    for (const thresholds of [
      {},
      { reviewThreshold: 0.5, minorWeight: 3 },
      { reviewThreshold: 0.9, sexyWeight: 1 },
    ]) {
      const gate = safeFaceGate(thresholds);
      for (let i = 0; i < 2000; i++) {
        const raw = [rnd(), rnd() * 0.3, rnd() * 0.3, rnd() * 0.3, rnd() * 0.3];
        const total = raw.reduce((a, b) => a + b, 0);
        const [neutral = 0, porn = 0, hentai = 0, sexy = 0, drawing = 0] = raw.map((v) => v / total);
        if (porn + hentai + sexy >= gate) continue; // the face model runs: nothing to compare
        const scores = { neutral, porn, hentai, sexy, drawing };
        const withMinor = riskScore({ nsfw: scores, apparentMinor: { probability: rnd() } }, thresholds);
        const skipped = riskScore({ nsfw: scores, apparentMinor: { probability: 0 } }, thresholds);
        expect(withMinor.reviewRequired).toBe(skipped.reviewRequired);
      }
    }
    expect(safeFaceGate()).toBeCloseTo(0.35, 10);
  });
});
