import { MatcherError, MatcherErrorCode } from './errors.js';

/** Number of set bits in a 32-bit word (SWAR; no BigInt, no allocation). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Nibble value of each ASCII code, -1 for codes that are not hex digits. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = NIBBLE[65 + c] = 10 + c;

/** Value of one hex character code, or -1. Accepts upper and lower case. */
export function hexNibble(c: number): number {
  return c < 128 ? (NIBBLE[c] as number) : -1;
}

/** True when `hex` is exactly `chars` hex digits. */
export function isHex(hex: string, chars: number): boolean {
  if (hex.length !== chars) return false;
  for (let i = 0; i < chars; i++) if (hexNibble(hex.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * Parses `words * 8` hex digits into `out[offset .. offset + words)` as big-endian 32-bit words
 * (hex digit 0 is the top nibble of word 0). Returns false (and leaves `out` partly written) on bad input,
 * so hot paths can validate without throwing.
 */
export function parseHexWordsInto(hex: string, words: number, out: Uint32Array, offset = 0): boolean {
  if (hex.length !== words * 8) return false;
  let p = 0;
  for (let w = 0; w < words; w++) {
    let v = 0;
    for (let k = 0; k < 8; k++) {
      const n = hexNibble(hex.charCodeAt(p++));
      if (n < 0) return false;
      v = (v << 4) | n;
    }
    out[offset + w] = v >>> 0;
  }
  return true;
}

/** Parses hex into a fresh word array; throws `MOD_ERR_MATCHER_BAD_HASH` on bad input. */
export function hexToWords(hex: string, words: number): Uint32Array {
  const out = new Uint32Array(words);
  if (!parseHexWordsInto(hex, words, out)) {
    throw new MatcherError(
      MatcherErrorCode.BadHash,
      `expected ${words * 8} hex digits, got ${hex.length} characters${hex.length === words * 8 ? ' with a non-hex digit' : ''}`,
    );
  }
  return out;
}

/** Lowercase hex of `words` words starting at `offset`. */
export function wordsToHex(src: Uint32Array, words: number, offset = 0): string {
  let s = '';
  for (let w = 0; w < words; w++) s += (src[offset + w] ?? 0).toString(16).padStart(8, '0');
  return s;
}

/** Hamming distance between two 256-bit hashes given as hex (convenience, allocates). */
export function hammingDistanceHex(a: string, b: string): number {
  const x = hexToWords(a, 8);
  const y = hexToWords(b, 8);
  let d = 0;
  for (let i = 0; i < 8; i++) d += popcount32((x[i] ?? 0) ^ (y[i] ?? 0));
  return d;
}
