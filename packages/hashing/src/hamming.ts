/**
 * Hamming distance between two 64-hex-digit hashes (also works for any equal-length hex strings). Not the same
 * contract as `@mod/matcher`'s `hammingDistanceHex`, which takes exactly 64 validated hex digits and throws its
 * `MOD_ERR_MATCHER_BAD_HASH`: this one measures any equal-length pair and throws a RangeError on a length mismatch.
 */
export function hammingDistanceHex(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('hashes differ in length');
  let d = 0;
  for (let i = 0; i < a.length; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x !== 0) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}
