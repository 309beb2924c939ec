import type { StoredPerceptualHash } from '@mod/db/orders';
import {
  BLOCKHASH_MATCH_DISTANCE,
  hammingDistanceHex,
  PDQ_MATCH_DISTANCE,
  PDQ_MIN_QUALITY,
  type PerceptualHashes,
} from '@mod/hashing';

/** How a re-fetched picture matched a stored one: the signal, the served variant and its Hamming distance. */
export interface PictureMatch {
  signal: 'pdq' | 'blockhash';
  /** `original`, `trimmed` or `dihedral-<k>` (order as `PDQ_DIHEDRAL_ORDER`), as the matcher reports its hits. */
  via: string;
  distance: number;
  /** The radius it matched within: `PDQ_MATCH_DISTANCE`, or the blockhash radius of the stored hash's banks. */
  within: number;
}

/**
 * Whether `served` (an image re-fetched for verification, hashed as the scanner hashes with `HASH_DIHEDRAL`: its
 * 8 dihedral PDQs and its border-trimmed PDQ) is the picture of one of `stored` (the order's verdicts' hashes), by
 * the rules the matcher applies to a query: its PDQ, rotations and flips within `PDQ_MATCH_DISTANCE` when its
 * quality reaches `PDQ_MIN_QUALITY`, its trimmed PDQ when that one's does, its blockhash within the radius of the
 * banks the stored verdict matched (`blockhashRadius`), or `BLOCKHASH_MATCH_DISTANCE` (the matcher's radius of a bank
 * that sets none) when it names none, whatever the quality; a stored PDQ below
 * the floor is not compared (nor would the matcher have matched it). The closest match, or null.
 */
export function matchPicture(
  stored: readonly StoredPerceptualHash[],
  served: PerceptualHashes,
): PictureMatch | null {
  const pdqs = stored
    .filter((s) => s.pdqQuality === null || s.pdqQuality >= PDQ_MIN_QUALITY)
    .map((s) => s.pdq);
  const variants: { via: string; hash: string }[] = [];
  if (served.pdqQuality >= PDQ_MIN_QUALITY) {
    variants.push({ via: 'original', hash: served.pdq });
    served.pdqDihedral?.forEach((hash, k) => variants.push({ via: `dihedral-${k}`, hash }));
  }
  const trimmed = served.pdqTrimmed;
  if (trimmed && trimmed.pdqQuality >= PDQ_MIN_QUALITY) variants.push({ via: 'trimmed', hash: trimmed.pdq });
  // A PDQ match first (the closest), as the stronger signal; a blockhash one only when no PDQ matches.
  let best: PictureMatch | null = null;
  for (const v of variants)
    for (const pdq of pdqs) {
      const distance = hammingDistanceHex(pdq, v.hash);
      if (distance <= PDQ_MATCH_DISTANCE && (best === null || distance < best.distance))
        best = { signal: 'pdq', via: v.via, distance, within: PDQ_MATCH_DISTANCE };
    }
  if (best !== null) return best;
  for (const s of stored) {
    const within = s.blockhashRadius ?? BLOCKHASH_MATCH_DISTANCE;
    const distance = s.blockhash === null ? Infinity : hammingDistanceHex(s.blockhash, served.blockhash);
    if (distance <= within && (best === null || distance < best.distance))
      best = { signal: 'blockhash', via: 'original', distance, within };
  }
  return best;
}
