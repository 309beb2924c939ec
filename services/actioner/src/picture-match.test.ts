import { describe, expect, it } from 'vitest';
import { matchPicture } from './picture-match.js';

// Hex hashes of 256 bits that differ from `base` in their first `bits` bits.
const base = '0'.repeat(64);
const flipped = (bits: number) => 'f'.repeat(bits / 4) + '0'.repeat(64 - bits / 4);
const stored = (pdq: string, pdqQuality: number | null, blockhash: string | null = null) => ({
  pdq,
  pdqQuality,
  blockhash,
  blockhashRadius: null,
});

describe('matchPicture: a re-fetched image against the hashes an order’s verdicts stored, as the matcher matches', () => {
  it('matches a dihedral or trimmed PDQ within 31 bits, the closest first', () => {
    const served = {
      pdq: flipped(128),
      pdqQuality: 100,
      pdqDihedral: [flipped(128), flipped(28), flipped(128), flipped(8)],
      pdqTrimmed: { pdq: flipped(4), pdqQuality: 90 },
      blockhash: flipped(128),
    };
    expect(matchPicture([stored(base, 100)], served)).toEqual({
      signal: 'pdq',
      via: 'trimmed',
      distance: 4,
      within: 31,
    });
    expect(matchPicture([stored(base, 100)], { ...served, pdqTrimmed: null })).toEqual({
      signal: 'pdq',
      via: 'dihedral-3',
      distance: 8,
      within: 31,
    });
    expect(matchPicture([stored(flipped(64), 100)], { ...served, pdqTrimmed: null })).toBeNull();
  });

  it('compares no PDQ below quality 50, served or stored; blockhash within 10 bits whatever the quality', () => {
    const flat = { pdq: base, pdqQuality: 40, pdqDihedral: [base], blockhash: flipped(128) };
    expect(matchPicture([stored(base, 100)], flat)).toBeNull();
    expect(matchPicture([stored(base, 40)], { ...flat, pdqQuality: 100 })).toBeNull();
    expect(matchPicture([stored(base, 40, flipped(120))], flat)).toEqual({
      signal: 'blockhash',
      via: 'original',
      distance: 8,
      within: 10,
    });
    expect(matchPicture([stored(base, 40, flipped(116))], flat)).toBeNull();
    // Within the radius of the banks the stored verdict matched, when they set one.
    const wide = { ...stored(base, 40, flipped(116)), blockhashRadius: 12 };
    expect(matchPicture([wide], flat)).toEqual({
      signal: 'blockhash',
      via: 'original',
      distance: 12,
      within: 12,
    });
  });
});
