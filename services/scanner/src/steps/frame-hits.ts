import type { MatchHit } from '@mod/matcher';

/** A bank hit as the scanner found it: on the file (exact hashes, a still image) or on one frame. */
export interface FoundHit extends MatchHit {
  negative: boolean;
  /** The frame a perceptual hit of a multi-frame file is on; absent for the file's own hits. */
  frame?: number;
}

/**
 * The hits a verdict carries, where a negative (known-benign) hit suppresses only what it covers: a hit on the file
 * (an exact hash, or any hit of a still image) everything, a hit on frame k the hits on frame k. So a listed frame
 * behind a known-benign first frame still matches: those hits stand, and only they go out (the decision, `decide`,
 * is then `match`, as policy and the actioner recompute it). Nothing standing: every hit goes out (negative ones
 * make it `suppressed`). One hit per entry, its best distance (the earliest frame of equals).
 */
export function standingHits(found: readonly FoundHit[]): FoundHit[] {
  const negativeFrames = new Set(found.filter((h) => h.negative).map((h) => h.frame));
  const standing = negativeFrames.has(undefined)
    ? []
    : found.filter((h) => !h.negative && (h.frame === undefined || !negativeFrames.has(h.frame)));
  const best = new Map<string, FoundHit>();
  for (const h of standing.length > 0 ? standing : found) {
    const known = best.get(h.entryId);
    if (known === undefined || h.distance < known.distance) best.set(h.entryId, h);
  }
  return [...best.values()];
}
