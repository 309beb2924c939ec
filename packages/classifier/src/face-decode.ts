/**
 * Pure post-processing of the BlazeFace detector and the FaceRes age head (after @vladmandic/human's
 * `src/face/blazeface.ts` and `faceres.ts`, MIT), over plain arrays.
 */

/** A detection in detector-input pixels. */
export interface RawFace {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly confidence: number;
}

/** BlazeFace anchor centres for a square input: strides size/16 (2 anchors) and size/8 (6 anchors). */
export function blazefaceAnchors(inputSizePx: number): Float32Array {
  const spec = [
    { stride: inputSizePx / 16, count: 2 },
    { stride: inputSizePx / 8, count: 6 },
  ];
  const out: number[] = [];
  for (const { stride, count } of spec) {
    const grid = Math.floor((inputSizePx + stride - 1) / stride);
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        for (let n = 0; n < count; n++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return Float32Array.from(out);
}

function iou(a: RawFace, b: RawFace): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union <= 0 ? 0 : inter / union;
}

/** Greedy non-maximum suppression, highest confidence first. */
export function nonMaxSuppression(
  faces: readonly RawFace[],
  iouThreshold: number,
  maxFaces: number,
): RawFace[] {
  const sorted = [...faces].sort((a, b) => b.confidence - a.confidence);
  const kept: RawFace[] = [];
  for (const f of sorted) {
    if (kept.length >= maxFaces) break;
    if (kept.every((k) => iou(k, f) <= iouThreshold)) kept.push(f);
  }
  return kept;
}

/**
 * Decodes BlazeFace rows (`[logit, cx, cy, w, h, 6 keypoints x 2]`, one row per anchor, offsets in input
 * pixels) into boxes above `minConfidence`, then suppresses overlaps.
 */
export function decodeBlazeface(
  rows: Float32Array,
  rowLength: number,
  anchors: Float32Array,
  options: { readonly minConfidence: number; readonly iouThreshold: number; readonly maxFaces: number },
): RawFace[] {
  const count = anchors.length / 2;
  const candidates: RawFace[] = [];
  for (let i = 0; i < count; i++) {
    const r = i * rowLength;
    const logit = rows[r] ?? -Infinity;
    const confidence = 1 / (1 + Math.exp(-logit));
    if (!(confidence >= options.minConfidence)) continue;
    const cx = (rows[r + 1] ?? 0) + (anchors[2 * i] ?? 0);
    const cy = (rows[r + 2] ?? 0) + (anchors[2 * i + 1] ?? 0);
    const w = rows[r + 3] ?? 0;
    const h = rows[r + 4] ?? 0;
    if (!(w > 0 && h > 0)) continue;
    candidates.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, confidence });
  }
  return nonMaxSuppression(candidates, options.iouThreshold, options.maxFaces);
}

/** The square crop FaceRes sees: the detection enlarged by `scale` (Human uses 1.4) and made square. */
export function faceCropBox(face: RawFace, scale: number): { x: number; y: number; side: number } {
  const cx = (face.x1 + face.x2) / 2;
  const cy = (face.y1 + face.y2) / 2;
  const side = Math.max(face.x2 - face.x1, face.y2 - face.y1) * scale;
  return { x: cx - side / 2, y: cy - side / 2, side };
}

/** Apparent age from the 100-bin (0..99 years) FaceRes softmax: its expectation, and the mass below a threshold. */
export function ageStatistics(
  probabilities: ArrayLike<number>,
  thresholdYears: number,
): { apparentAgeYears: number; minorProbability: number } {
  let total = 0;
  let expectation = 0;
  let below = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.max(0, probabilities[i] ?? 0);
    total += p;
    expectation += i * p;
    if (i < thresholdYears) below += p;
  }
  if (!(total > 0)) return { apparentAgeYears: 0, minorProbability: 0 }; // degenerate output: no evidence either way
  return { apparentAgeYears: expectation / total, minorProbability: Math.min(1, below / total) };
}
