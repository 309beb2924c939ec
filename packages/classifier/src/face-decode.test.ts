import { describe, expect, it } from 'vitest';
import {
  ageStatistics,
  blazefaceAnchors,
  decodeBlazeface,
  faceCropBox,
  nonMaxSuppression,
} from './face-decode.js';

describe('blazeface decoding', () => {
  it('has 512 stride-16 anchors then 384 stride-32 anchors for a 256 input', () => {
    const a = blazefaceAnchors(256);
    expect(a.length / 2).toBe(896);
    expect([a[0], a[1]]).toEqual([8, 8]);
    expect([a[2 * 512], a[2 * 512 + 1]]).toEqual([16, 16]);
  });

  it('turns a confident row into a box around its anchor and drops weak rows', () => {
    const anchors = blazefaceAnchors(256);
    const rows = new Float32Array(896 * 17).fill(-10);
    const i = 100; // cell 50 of the 16x16 grid (2 anchors each): gx 2, gy 3, anchor (40, 56)
    rows.set([3, 2, -4, 40, 60], i * 17);
    const faces = decodeBlazeface(rows, 17, anchors, { minConfidence: 0.5, iouThreshold: 0.3, maxFaces: 5 });
    expect(faces).toHaveLength(1);
    const f = faces[0];
    expect(f?.confidence).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect([f?.x1, f?.y1, f?.x2, f?.y2]).toEqual([42 - 20, 52 - 30, 42 + 20, 52 + 30]);
  });

  it('suppresses overlapping boxes, keeping the most confident', () => {
    const kept = nonMaxSuppression(
      [
        { x1: 0, y1: 0, x2: 10, y2: 10, confidence: 0.7 },
        { x1: 1, y1: 1, x2: 11, y2: 11, confidence: 0.9 },
        { x1: 50, y1: 50, x2: 60, y2: 60, confidence: 0.8 },
      ],
      0.3,
      10,
    );
    expect(kept.map((k) => k.confidence)).toEqual([0.9, 0.8]);
  });

  it('crops a square 1.4 times the detection around its centre', () => {
    expect(faceCropBox({ x1: 10, y1: 20, x2: 30, y2: 60, confidence: 1 }, 1.5)).toEqual({
      x: -10,
      y: 10,
      side: 60,
    });
  });
});

describe('ageStatistics', () => {
  it('takes the expectation and the mass below the threshold', () => {
    const p = new Float32Array(100);
    p[10] = 0.25;
    p[30] = 0.75;
    const s = ageStatistics(p, 18);
    expect(s.apparentAgeYears).toBeCloseTo(25, 5);
    expect(s.minorProbability).toBeCloseTo(0.25, 6);
    expect(ageStatistics(p, 40).minorProbability).toBeCloseTo(1, 6);
  });
});
