/**
 * PDQ's DCT and bit packing: the 16×16 corner of a 64×64 DCT-II (frequencies 1..16), thresholded at its median
 * into 256 bits, written as the reference writes them.
 */

const f = Math.fround;

/** 16×64 DCT-II basis rows 1..16 (row 0, the DC term, is not used), scaled by sqrt(2/64), stored as float32. */
export const DCT_MATRIX: Float32Array = (() => {
  const m = new Float32Array(16 * 64);
  const scale = f(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) {
      m[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
    }
  }
  return m;
})();

/** The DCT matrix transposed (64×16), for the vectorised second product. */
export const DCT_MATRIX_T: Float32Array = (() => {
  const t = new Float32Array(64 * 16);
  for (let i = 0; i < 16; i++) for (let j = 0; j < 64; j++) t[j * 16 + i] = DCT_MATRIX[i * 64 + j]!;
  return t;
})();

/** B = D A Dᵀ restricted to frequencies 1..16 in each direction, accumulated in float32 in reference order. */
export function dct64To16(a: Float32Array): Float32Array {
  const d = DCT_MATRIX;
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    const di = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(d[di + k]! * a[k * 64 + j]!));
      t[i * 64 + j] = s;
    }
  }
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    const ti = i * 64;
    for (let j = 0; j < 16; j++) {
      const dj = j * 64;
      let s = 0;
      for (let k = 0; k < 64; k++) s = f(s + f(t[ti + k]! * d[dj + k]!));
      b[i * 16 + j] = s;
    }
  }
  return b;
}

/**
 * Threshold at the median (the 128th smallest of 256, as Torben's method returns) and format as the reference
 * does: sixteen 16-bit words, row 15 first, bit j of word i set when coefficient (i, j) exceeds the median.
 */
export function pdqBitsToHex(dct: Float32Array): string {
  const sorted = Float32Array.from(dct).sort();
  const median = sorted[127]!;
  let hex = '';
  for (let i = 15; i >= 0; i--) {
    let word = 0;
    for (let j = 0; j < 16; j++) if (dct[i * 16 + j]! > median) word |= 1 << j;
    hex += word.toString(16).padStart(4, '0');
  }
  return hex;
}
