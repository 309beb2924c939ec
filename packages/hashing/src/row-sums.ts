import type { RawImage } from './images.js';

/** Value of a fully transparent pixel (counted as white, as blockhash does); R+G+B otherwise. */
export const TRANSPARENT_VALUE = 765;

/**
 * A consumer of per-row pixel values (R+G+B, or 765 where alpha is 0) summed over fixed runs of columns: lets
 * blockhash take its sums from the same pass over the pixels as PDQ. Run k covers columns
 * [starts[k], ends[k]); `addRow` is called once for every row, in any order, with the row's sums at
 * sums[offset + k].
 */
export interface RowRunSums {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  addRow(y: number, sums: ArrayLike<number>, offset: number): void;
}

/** Sums of pixel values over runs of one row, in JavaScript (the WebAssembly engine has its own kernel). */
export class RowRunSummer {
  private readonly words: Uint32Array | null;
  private readonly sums: Int32Array;

  constructor(
    private readonly image: RawImage,
    private readonly runs: Pick<RowRunSums, 'starts' | 'ends'>,
  ) {
    const { data } = image;
    // For RGB the sum over a pixel range is the sum of its bytes: four at a time through 32-bit words.
    this.words =
      image.channels === 3 && data.byteOffset % 4 === 0
        ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2)
        : null;
    this.sums = new Int32Array(runs.starts.length);
  }

  /** The run sums of row `y` (a reused array). */
  row(y: number): Int32Array {
    const base = y * this.image.width;
    for (let k = 0; k < this.sums.length; k++) {
      this.sums[k] = this.sum(base + this.runs.starts[k]!, base + this.runs.ends[k]!);
    }
    return this.sums;
  }

  /** Sum over pixels [from, to) in row-major order. */
  private sum(from: number, to: number): number {
    const data = this.image.data;
    let total = 0;
    if (this.image.channels === 4) {
      for (let o = from * 4, end = to * 4; o < end; o += 4) {
        total += data[o + 3] === 0 ? TRANSPARENT_VALUE : data[o]! + data[o + 1]! + data[o + 2]!;
      }
      return total;
    }
    let o = from * 3;
    const end = to * 3;
    const words = this.words;
    if (words !== null) {
      while (o < end && (o & 3) !== 0) total += data[o++]!;
      let w = o >>> 2;
      const wordsEnd = end >>> 2;
      while (w < wordsEnd) {
        // Two 16-bit lanes of byte-pair sums; 128 words keep each lane below 2¹⁶.
        const chunkEnd = Math.min(wordsEnd, w + 128);
        let lanes = 0;
        for (; w < chunkEnd; w++) {
          const v = words[w]!;
          lanes += (v & 0xff00ff) + ((v >>> 8) & 0xff00ff);
        }
        total += (lanes & 0xffff) + Math.floor(lanes / 0x10000);
      }
      o = Math.max(o, wordsEnd * 4);
    }
    while (o < end) total += data[o++]!;
    return total;
  }
}

/** Feeds every row of `image` to `consumer`, with sums computed in JavaScript. */
export function feedRowRunSums(image: RawImage, consumer: RowRunSums): void {
  const summer = new RowRunSummer(image, consumer);
  for (let y = 0; y < image.height; y++) consumer.addRow(y, summer.row(y), 0);
}
