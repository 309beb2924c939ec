import type { RawImage } from './images.js';
import { DCT_MATRIX, DCT_MATRIX_T, pdqBitsToHex } from './pdq-dct.js';
import { dihedralLayout, mirror64, PDQ_DIHEDRAL_ORDER, transpose64 } from './pdq-dihedral.js';
import { jaroszAxisWeights, type AxisWeights } from './pdq-jarosz.js';
import { createPdqKernels, type PdqKernels } from './pdq-kernels.js';
import { LUMA_B, LUMA_G, LUMA_R } from './pdq-luma.js';
import type { RowRunSums } from './row-sums.js';

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Wasm memory above which the engine is dropped after use, so one huge image does not pin its buffers. */
const KEEP_MEMORY_BYTES = 256 * 1024 * 1024;

/** Where the first pass reads its rows: decoded pixels (luma computed band by band) or a luma buffer. */
type Source = { image: RawImage } | { luma: number };

/** Rows of pixels converted to luma per step (the pixel band is copied into wasm memory at once). */
const BAND = 16;

/**
 * The PDQ pipeline on the WebAssembly kernels, streamed through bands of rows so that the working set stays
 * in the CPU's cache. The Jarosz filter followed by decimation is linear and separable (`jaroszAxisWeights`),
 * so instead of filtering every pixel four times and keeping 64×64 samples, each row is added, weighted, into
 * the accumulator of the one or two output rows whose support it lies in (`lumaAxpy` from pixels, computing
 * luma on the way; `axpy` from luma: one multiply-add per pixel), and each of the 64 accumulators is then
 * reduced to its 64 outputs (`dots`). The mirror images come from the same pass with mirrored weights (a second
 * set of accumulators for the rows, a second table for the columns), and the transposed ones by transposing a
 * 64×64 buffer: all 8 dihedral hashes cost about 2 PDQs. These float32 weighted sums round differently from the
 * reference's float32 running sums: the engine's buffers stay within 6·10⁻⁵ (luma 0..255) of the exact filter,
 * the reference's within 4·10⁻³, and hashes and qualities equal the reference's on every conformance and test
 * image (see the tests, `bench/hashing` and `bench/pdq-agreement`).
 *
 * Memory: a band of pixels (copied in band by band, so the decoder's buffer is read once); 128 accumulator rows
 * (64 for the image, 64 for it mirrored top ↔ bottom); the weights of both axes (the columns' also mirrored);
 * a 64×64 buffer; the DCT's matrices; blockhash's runs and sums; and, for luma input, the whole luma image.
 * Every region has slack for the kernels' whole-vector reads and writes.
 */
class WasmPdq {
  private pixels = 0;
  private acc = 0;
  private rowWeights = 0;
  private colWeights = 0;
  private colTable = 0;
  private out64 = 0;
  private luma = 0;
  private dctIn = 0;
  private dctMatrix = 0;
  private dctMatrixT = 0;
  private dctTemp = 0;
  private dctOut = 0;
  private runStarts = 0;
  private runEnds = 0;
  private runOut = 0;
  private rowSums: RowRunSums | null = null;
  private width = 0;
  private height = 0;

  private byteView = new Uint8Array(0);
  private intView = new Int32Array(0);
  private floatView = new Float32Array(0);

  constructor(private readonly kernels: PdqKernels) {}

  /** Views of the whole memory, renewed when it grows (growing detaches the old buffer). */
  private bytes(): Uint8Array {
    const buffer = this.kernels.memory.buffer;
    if (this.byteView.buffer !== buffer) this.byteView = new Uint8Array(buffer);
    return this.byteView;
  }

  private ints(): Int32Array {
    const buffer = this.kernels.memory.buffer;
    if (this.intView.buffer !== buffer) this.intView = new Int32Array(buffer);
    return this.intView;
  }

  private floats(): Float32Array {
    const buffer = this.kernels.memory.buffer;
    if (this.floatView.buffer !== buffer) this.floatView = new Float32Array(buffer);
    return this.floatView;
  }

  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /**
   * Lays out the regions for a `width × height` image, growing memory when needed. `fullLuma`: also room
   * for a whole luma image (luma input). Room for the mirror images' accumulators and weights always.
   */
  prepare(width: number, height: number, fullLuma: boolean, rowSums: RowRunSums | null = null): void {
    const n = width * height;
    let at = 0;
    const take = (bytes: number): number => {
      const start = at;
      at += align16(bytes + 64);
      return start;
    };
    this.pixels = take(BAND * width * 4);
    this.acc = take(2 * 64 * align16(width * 4));
    // Σ length ≤ 64 · (2 · window − 1) ≤ n + 64 along a dimension of n; columns padded by up to 3 for whole
    // vectors, twice (mirrored).
    this.rowWeights = take((height + 64) * 4);
    this.colWeights = take(2 * (width + 64 + 3 * 64) * 4);
    this.colTable = take(2 * 64 * 12);
    this.out64 = take(64 * 64 * 4);
    this.luma = fullLuma ? take(n * 4) : 0;
    this.dctIn = take(64 * 64 * 4);
    this.dctMatrix = take(16 * 64 * 4);
    this.dctMatrixT = take(16 * 64 * 4);
    this.dctTemp = take(16 * 64 * 4);
    this.dctOut = take(16 * 16 * 4);
    const runs = rowSums?.starts.length ?? 0;
    this.runStarts = take(runs * 4);
    this.runEnds = take(runs * 4);
    this.runOut = take(BAND * runs * 4);
    const have = this.kernels.memory.buffer.byteLength;
    if (have < at) this.kernels.memory.grow(Math.ceil((at - have) / 65536));
    this.width = width;
    this.height = height;
    this.rowSums = rowSums;
    const memory = this.kernels.memory.buffer;
    new Float32Array(memory, this.dctMatrix, 16 * 64).set(DCT_MATRIX);
    new Float32Array(memory, this.dctMatrixT, 16 * 64).set(DCT_MATRIX_T);
    if (rowSums !== null) {
      new Int32Array(this.kernels.memory.buffer, this.runStarts, runs).set(rowSums.starts);
      new Int32Array(this.kernels.memory.buffer, this.runEnds, runs).set(rowSums.ends);
    }
  }

  /**
   * Copies up to BAND rows of `image` from `first` into the pixel band and returns how many; `feed`: also
   * hands their run sums to `rowSums` (blockhash), so that the pixels are read once for both hashes.
   */
  private copyBand(image: RawImage, first: number, feed: boolean): number {
    const rows = Math.min(BAND, image.height - first);
    const rowBytes = image.width * image.channels;
    const from = first * rowBytes;
    this.bytes().set(image.data.subarray(from, from + rows * rowBytes), this.pixels);
    const consumer = this.rowSums;
    if (feed && consumer !== null) {
      const count = consumer.starts.length;
      const args = [
        this.pixels,
        image.width,
        rows,
        this.runStarts,
        this.runEnds,
        count,
        this.runOut,
      ] as const;
      if (image.channels === 4) this.kernels.runSums4(...args);
      else this.kernels.runSums3(...args);
      const sums = this.ints();
      for (let r = 0; r < rows; r++) consumer.addRow(first + r, sums, (this.runOut >> 2) + r * count);
    }
    return rows;
  }

  /** The reference's float32 luma of the `rows` rows in the pixel band, written to `to`. */
  private lumaOfBand(image: RawImage, rows: number, to: number): void {
    if (image.channels === 4) this.kernels.luma4(this.pixels, to, rows * image.width);
    else this.kernels.luma3(this.pixels, to, rows * image.width);
  }

  loadLuma(luma: Float32Array): void {
    const n = this.width * this.height;
    new Float32Array(this.kernels.memory.buffer, this.luma, n).set(luma.subarray(0, n));
  }

  /**
   * Writes the weights of both axes into memory: the rows' weights, times `rowScale`, one output row after
   * another (returns each one's byte offset), the columns' as (lo, length, offset) entries for `dots`, each
   * moved left where needed so that its whole vectors end within the `width` samples rounded up to a vector;
   * then, at `colTable + 64 · 12`, the same for the columns mirrored (x → width − 1 − x).
   */
  private writeWeights(ky: AxisWeights, kx: AxisWeights, width: number, rowScale: number): Int32Array {
    const floats = this.floats();
    const ints = this.ints();
    const rowOffsets = new Int32Array(64);
    let at = this.rowWeights;
    for (let i = 0; i < 64; i++) {
      rowOffsets[i] = at;
      const weights = ky.weights[i]!;
      for (let t = 0; t < weights.length; t++) floats[(at >> 2) + t] = weights[t]! * rowScale;
      at += weights.length * 4;
    }
    const widthVectors = Math.ceil(width / 4) * 4;
    at = this.colWeights;
    for (let mirrored = 0; mirrored < 2; mirrored++) {
      for (let j = 0; j < 64; j++) {
        const length = kx.length[j]!;
        const weights = kx.weights[j]!;
        const first = mirrored ? width - kx.lo[j]! - length : kx.lo[j]!;
        const padded = Math.ceil(length / 4) * 4;
        const lo = Math.min(first, widthVectors - padded);
        const base = (at >> 2) + first - lo;
        floats.fill(0, at >> 2, (at >> 2) + padded);
        if (mirrored) for (let t = 0; t < length; t++) floats[base + t] = weights[length - 1 - t]!;
        else floats.set(weights, base);
        const entry = (this.colTable >> 2) + (mirrored * 64 + j) * 3;
        ints[entry] = lo * 4;
        ints[entry + 1] = padded * 4;
        ints[entry + 2] = at;
        at += padded * 4;
      }
    }
    return rowOffsets;
  }

  /**
   * The 64×64 buffer of `image` (or of the full luma when null) and, with `mirrors`, of its mirror images:
   * [image, columns mirrored (left ↔ right), rows mirrored (top ↔ bottom), both]. The reference copies a
   * 64×64 image unfiltered.
   */
  private buffers64(image: RawImage | null, mirrors: boolean): Float32Array[] {
    const k = this.kernels;
    const { width, height } = this;
    const source: Source = image === null ? { luma: this.luma } : { image };
    if (width === 64 && height === 64) {
      let luma: Float32Array;
      if ('luma' in source) {
        luma = new Float32Array(k.memory.buffer, source.luma, 64 * 64).slice();
      } else {
        for (let row = 0; row < 64; row += BAND) {
          const rows = this.copyBand(source.image, row, true);
          this.lumaOfBand(source.image, rows, this.out64 + row * 64 * 4);
        }
        luma = new Float32Array(k.memory.buffer, this.out64, 64 * 64).slice();
      }
      return mirrors ? [0, 1, 2, 3].map((m) => mirror64(luma, (m & 1) !== 0, (m & 2) !== 0)) : [luma];
    }
    const ky = jaroszAxisWeights(height);
    const kx = jaroszAxisWeights(width);
    // From pixels, lumaAxpy adds 1000 · luma: the row weights take the 1/1000.
    const rowOffsets = this.writeWeights(ky, kx, width, 'luma' in source ? 1 : 1 / 1000);
    const accStride = align16(width * 4);
    const accRows = mirrors ? 128 : 64; // accumulators 64..127: the rows mirrored (y → height − 1 − y)
    this.floats().fill(0, this.acc >> 2, (this.acc + accRows * accStride) >> 2);
    let srcRowBytes: number;
    let add: (src: number, dst: number, n: number, weight: number) => void;
    if ('luma' in source) {
      // The last row's whole-vector reads go past the image: keep them finite (0 · NaN would be NaN).
      this.floats().fill(0, (source.luma >> 2) + width * height, (source.luma >> 2) + width * height + 4);
      srcRowBytes = width * 4;
      add = k.axpy;
    } else {
      srcRowBytes = width * source.image.channels;
      add = source.image.channels === 4 ? k.lumaAxpy4 : k.lumaAxpy3;
    }
    /** Adds source row `from` (sample y of the weights) into the outputs whose support holds y. */
    const feed = (from: number, y: number, accBase: number): void => {
      for (let i = ky.firstOutput[y]!; i < 64 && ky.lo[i]! <= y; i++) {
        add(from, accBase + i * accStride, width, rowOffsets[i]! + (y - ky.lo[i]!) * 4);
      }
    };
    for (let row = 0; row < height; row += BAND) {
      let from: number;
      let rows: number;
      if ('luma' in source) {
        from = source.luma + row * srcRowBytes;
        rows = Math.min(BAND, height - row);
      } else {
        from = this.pixels;
        rows = this.copyBand(source.image, row, true);
      }
      for (let r = 0; r < rows; r++) {
        feed(from + r * srcRowBytes, row + r, this.acc);
        if (mirrors) feed(from + r * srcRowBytes, height - 1 - row - r, this.acc + 64 * accStride);
      }
    }
    const out: Float32Array[] = [];
    for (let m = 0; m < (mirrors ? 4 : 1); m++) {
      const accBase = this.acc + (m & 2 ? 64 * accStride : 0);
      const table = this.colTable + (m & 1 ? 64 * 12 : 0);
      k.dots(accBase, accStride, 64, table, this.out64);
      out.push(new Float32Array(k.memory.buffer, this.out64, 64 * 64).slice());
    }
    return out;
  }

  /** `dct64To16` on the kernels (same float32 operations in the same order). */
  dct(buffer64: Float32Array): Float32Array {
    const k = this.kernels;
    new Float32Array(k.memory.buffer, this.dctIn, 64 * 64).set(buffer64);
    k.dct(this.dctIn, this.dctMatrix, this.dctMatrixT, this.dctTemp, this.dctOut);
    return new Float32Array(k.memory.buffer, this.dctOut, 256).slice();
  }

  /** The 64×64 buffer of `image`, or of the full luma when no image is given. */
  plain(image: RawImage | null): Float32Array {
    return this.buffers64(image, false)[0]!;
  }

  /**
   * The plain 64×64 buffer of `image` (or of the full luma) and the hashes of its 8 dihedral transforms
   * (see `pdqDihedralFromLuma`), from one pass over the pixels. Callers handle images too small to hash.
   */
  withDihedral(image: RawImage | null): { plain: Float32Array; dihedral: string[] } {
    const mirrors = this.buffers64(image, true);
    const dihedral = PDQ_DIHEDRAL_ORDER.map((_, k) => {
      // Pixel (x, y) lands at origin + x·dx + y·dy: a negative step mirrors that axis, and a transposed
      // layout sends x along the transformed image's columns, so its 64×64 buffer is the transpose.
      const { dx, dy, transposed } = dihedralLayout(k, this.width, this.height);
      const buffer = mirrors[(dx < 0 ? 1 : 0) + (dy < 0 ? 2 : 0)]!;
      return pdqBitsToHex(this.dct(transposed ? transpose64(buffer) : buffer));
    });
    return { plain: mirrors[0]!, dihedral };
  }
}

let engine: WasmPdq | null | undefined;

/**
 * Runs `work` on the WebAssembly engine laid out for `width × height` (see `WasmPdq.prepare`), or returns
 * undefined when WebAssembly SIMD is unavailable or its memory cannot grow that far: the caller then uses
 * the JavaScript implementation. Nothing has been computed or fed to `rowSums` when undefined is returned.
 */
export function withEngine<T>(
  width: number,
  height: number,
  fullLuma: boolean,
  rowSums: RowRunSums | null,
  work: (e: WasmPdq) => T,
): T | undefined {
  if (engine === undefined) {
    const kernels = createPdqKernels([LUMA_R, LUMA_G, LUMA_B]);
    engine = kernels === null ? null : new WasmPdq(kernels);
  }
  if (engine === null) return undefined;
  const used = engine;
  try {
    try {
      used.prepare(width, height, fullLuma, rowSums);
    } catch {
      return undefined; // RangeError: WebAssembly memory cannot grow to this size
    }
    return work(used);
  } finally {
    if (used.memoryBytes > KEEP_MEMORY_BYTES) engine = undefined;
  }
}
