/**
 * The hot loops of PDQ (luminance, the separable downsampling's weighted row sums and dot products, the DCT)
 * and of blockhash (run sums of pixel rows) as a small WebAssembly module with 128-bit SIMD, assembled here from
 * the instruction listing below: there is no binary artefact to trust and no build step. WebAssembly's f32
 * arithmetic is IEEE single precision, so the luma and DCT kernels perform exactly the float32 operations of
 * Meta's C++ reference, in its order; the tests compare every kernel's results with the plain JavaScript
 * implementation.
 */

// --- A minimal WebAssembly binary writer (only what the kernels need). ---

type Bytes = number[];

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];
const vec = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];
const name = (s: string): Bytes => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));

/** Instructions. Locals are numbered: parameters first, then declared locals. */
const get = (l: number): Bytes => [0x20, ...uleb(l)];
const set = (l: number): Bytes => [0x21, ...uleb(l)];
const i32 = (n: number): Bytes => [0x41, ...sleb(n)];
const add = [0x6a];
const mul = [0x6c];
const geS = [0x4e];
const ltS = [0x48];
const selectOp = [0x1b];
/** min of two i32 expressions (each evaluated twice: keep them side-effect free). */
const minI32 = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...a, ...b, ...ltS, ...selectOp];
const f32Load = [0x2a, 2, 0];
const i32Load = [0x28, 2, 0];
const f32Store = [0x38, 2, 0];
const simd = (op: number, ...imm: number[]): Bytes => [0xfd, ...uleb(op), ...imm];
const v128Load = simd(0x00, 0, 0);
const v128Store = simd(0x0b, 0, 0);
const v128Load32Splat = simd(0x09, 2, 0);
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const swizzle = simd(0x0e);
const f32x4Splat = simd(0x13);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f32x4ConvertI32x4S = simd(0xfa);

/** `for (l = from; l < to; l += step) body`, with `from`/`to` as instruction sequences evaluated once/per turn. */
function loop(l: number, from: Bytes, to: Bytes, step: number, body: Bytes): Bytes {
  return [
    ...from,
    ...set(l),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(l),
    ...to,
    ...geS,
    0x0d,
    1, // br_if out of the block
    ...body,
    ...get(l),
    ...i32(step),
    ...add,
    ...set(l),
    0x0c,
    0, // br to the loop
    0x0b,
    0x0b,
  ];
}

/** `base + index · scale` (an element's byte address). */
const addressOf = (base: number, index: number, scale: number): Bytes => [
  ...get(base),
  ...get(index),
  ...i32(scale),
  ...mul,
  ...add,
];

/** `count` rounded up to a multiple of 4 (whole vectors of 32-bit lanes). */
const wholeVectors = (count: number): Bytes => [
  ...get(count),
  ...i32(3),
  ...add,
  ...i32(-4),
  0x71 /* i32.and */,
];

interface FunctionDef {
  exportName: string;
  params: number;
  /** Extra locals, by type. */
  locals: { i32?: number; v128?: number };
  body: Bytes;
}

function assemble(functions: FunctionDef[]): Uint8Array {
  const types = functions.map((fn) => [0x60, ...vec(new Array<Bytes>(fn.params).fill([I32])), 0]);
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 1]]);
  const codes = functions.map((fn) => {
    const locals: Bytes[] = [];
    if (fn.locals.i32) locals.push([...uleb(fn.locals.i32), I32]);
    if (fn.locals.v128) locals.push([...uleb(fn.locals.v128), V128]);
    const body = [...vec(locals), ...fn.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(functions.map((_, k) => uleb(k)))),
    ...section(7, vec(functions.map((fn, k) => [...name(fn.exportName), 0x00, ...uleb(k)]))),
    ...section(10, vec(codes)),
  ]);
}

const f32Bits = (x: number): number[] => [...new Uint8Array(new Float32Array([x]).buffer)];
const f32x4Const = (x: number): Bytes =>
  simd(0x0c, ...f32Bits(x), ...f32Bits(x), ...f32Bits(x), ...f32Bits(x));

// --- Kernels. Pointers and sizes are byte offsets / element counts in the shared memory. ---

/**
 * luma(src, dst, n): Y = f32(f32(f32(0.299·R) + f32(0.587·G)) + f32(0.114·B)) for n pixels of `channels`
 * 8-bit samples, four pixels per step (reads up to 16 bytes and writes up to 12 bytes past the ends).
 */
function lumaKernel(channels: 3 | 4, coefficients: readonly [number, number, number]): FunctionDef {
  const [src, dst, n, g, v] = [0, 1, 2, 3, 4];
  const masks = [5, 6, 7];
  const weights = [8, 9, 10];
  // i8x16.swizzle zeroes lanes whose index is ≥ 16: byte c of pixel p into the low byte of 32-bit lane p.
  const mask = (c: number): number[] => [0, 1, 2, 3].flatMap((p) => [p * channels + c, 0x80, 0x80, 0x80]);
  const channel = (c: number): Bytes => [
    ...get(v),
    ...get(masks[c]!),
    ...swizzle,
    ...f32x4ConvertI32x4S, // samples are 0..255: the signed conversion is exact and one instruction
    ...get(weights[c]!),
    ...f32x4Mul,
  ];
  return {
    exportName: `luma${channels}`,
    params: 3,
    locals: { i32: 1, v128: 7 },
    body: [
      ...[0, 1, 2].flatMap((c) => [
        ...simd(0x0c, ...mask(c)),
        ...set(masks[c]!),
        ...f32x4Const(coefficients[c]!),
        ...set(weights[c]!),
      ]),
      ...loop(g, i32(0), get(n), 4, [
        ...addressOf(src, g, channels),
        ...v128Load,
        ...set(v),
        ...addressOf(dst, g, 4),
        ...channel(0),
        ...channel(1),
        ...f32x4Add,
        ...channel(2),
        ...f32x4Add,
        ...v128Store,
      ]),
    ],
  };
}

/**
 * axpy(src, dst, n, weight): dst[x] += w · src[x] for x < n rounded up to whole vectors, w the float32 at
 * `weight` (one pass of the separable downsampling: a row of luma into the accumulator of an output row).
 */
function axpyKernel(): FunctionDef {
  const [src, dst, n, weight] = [0, 1, 2, 3];
  const [b, bytes] = [4, 5];
  const w = 6;
  return {
    exportName: 'axpy',
    params: 4,
    locals: { i32: 2, v128: 1 },
    body: [
      ...get(weight),
      ...v128Load32Splat,
      ...set(w),
      ...wholeVectors(n),
      ...i32(4),
      ...mul,
      ...set(bytes),
      ...loop(b, i32(0), get(bytes), 16, [
        ...get(dst),
        ...get(b),
        ...add,
        ...get(dst),
        ...get(b),
        ...add,
        ...v128Load,
        ...get(src),
        ...get(b),
        ...add,
        ...v128Load,
        ...get(w),
        ...f32x4Mul,
        ...f32x4Add,
        ...v128Store,
      ]),
    ],
  };
}

/**
 * lumaAxpy(src, dst, n, weight): dst[x] += w · (299·R + 587·G + 114·B) for n pixels of `channels` 8-bit
 * samples (n rounded up to whole vectors; reads up to 16 bytes past the end), w the float32 at `weight`: luma
 * times 1000 in exact integer arithmetic (two i16 dot products), with 1/1000 folded into w by the caller, and
 * added straight into an accumulator row of the separable downsampling. Every pixel row is read once, with no
 * luma buffer in between.
 */
function lumaAxpyKernel(channels: 3 | 4): FunctionDef {
  const [src, dst, n, weight] = [0, 1, 2, 3];
  const [g, groups] = [4, 5];
  const [w, rg, b, coefficients, blue, v] = [6, 7, 8, 9, 10, 11];
  // R and G of each of 4 pixels as 16-bit lanes (R0 G0 R1 G1 …); B of each as 16-bit lanes (B0 0 B1 0 …).
  const rgMask = [0, 1, 2, 3].flatMap((p) => [p * channels, 0x80, p * channels + 1, 0x80]);
  const bMask = [0, 1, 2, 3].flatMap((p) => [p * channels + 2, 0x80, 0x80, 0x80]);
  const i16s = (values: number[]): number[] => values.flatMap((x) => [x & 255, x >> 8]);
  return {
    exportName: `lumaAxpy${channels}`,
    params: 4,
    locals: { i32: 2, v128: 6 },
    body: [
      ...get(weight),
      ...v128Load32Splat,
      ...set(w),
      ...simd(0x0c, ...rgMask),
      ...set(rg),
      ...simd(0x0c, ...bMask),
      ...set(b),
      ...simd(0x0c, ...i16s([299, 587, 299, 587, 299, 587, 299, 587])),
      ...set(coefficients),
      ...simd(0x0c, ...i16s([114, 0, 114, 0, 114, 0, 114, 0])),
      ...set(blue),
      ...wholeVectors(n),
      ...set(groups),
      ...loop(g, i32(0), get(groups), 4, [
        ...addressOf(src, g, channels),
        ...v128Load,
        ...set(v),
        ...addressOf(dst, g, 4),
        ...addressOf(dst, g, 4),
        ...v128Load,
        ...get(v),
        ...get(rg),
        ...swizzle,
        ...get(coefficients),
        ...simd(0xba), // i32x4.dot_i16x8_s: 299·R + 587·G per pixel
        ...get(v),
        ...get(b),
        ...swizzle,
        ...get(blue),
        ...simd(0xba), // i32x4.dot_i16x8_s again: 114·B (one cheap instruction, unlike i32x4.mul)
        ...simd(0xae), // i32x4.add
        ...f32x4ConvertI32x4S, // at most 255 000: exact
        ...get(w),
        ...f32x4Mul,
        ...f32x4Add,
        ...v128Store,
      ]),
    ],
  };
}

/**
 * dots(acc, accStride, rows, table, out): out[i·64 + j] = Σ_t weights_j[t] · acc[i][lo_j + t] for i < rows and
 * j < 64, where table[j] = (lo_j in bytes, length in bytes rounded up to whole vectors, byte offset of
 * weights_j, zero-padded to whole vectors): the other pass of the separable downsampling, on the 64 rows
 * of accumulators.
 */
function dotsKernel(): FunctionDef {
  const [acc, accStride, rows, table, out] = [0, 1, 2, 3, 4];
  const [i, j, t, row, lo, len, wts, entry] = [5, 6, 7, 8, 9, 10, 11, 12];
  const s = 13;
  const tableAt = (field: number): Bytes => [...get(entry), ...i32(field * 4), ...add, ...i32Load];
  return {
    exportName: 'dots',
    params: 5,
    locals: { i32: 8, v128: 1 },
    body: loop(i, i32(0), get(rows), 1, [
      ...get(acc),
      ...get(i),
      ...get(accStride),
      ...mul,
      ...add,
      ...set(row),
      ...loop(j, i32(0), i32(64), 1, [
        ...addressOf(table, j, 12),
        ...set(entry),
        ...tableAt(0),
        ...get(row),
        ...add,
        ...set(lo),
        ...tableAt(1),
        ...set(len),
        ...tableAt(2),
        ...set(wts),
        ...v128Zero,
        ...set(s),
        ...loop(t, i32(0), get(len), 16, [
          ...get(s),
          ...get(lo),
          ...get(t),
          ...add,
          ...v128Load,
          ...get(wts),
          ...get(t),
          ...add,
          ...v128Load,
          ...f32x4Mul,
          ...f32x4Add,
          ...set(s),
        ]),
        ...get(out),
        ...get(i),
        ...i32(64),
        ...mul,
        ...get(j),
        ...add,
        ...i32(4),
        ...mul,
        ...add,
        ...[0, 1, 2, 3].flatMap((lane) => [...get(s), ...simd(0x1f, lane), ...(lane > 0 ? [0x92] : [])]), // f32x4.extract_lane, f32.add
        ...f32Store,
      ]),
    ]),
  };
}

/**
 * runSums(src, width, rows, starts, ends, count, out): for each of `rows` rows of `channels`-byte pixels and
 * each run k of columns [starts[k], ends[k]), out[row·count + k] = Σ R+G+B (765 where alpha is 0): the block
 * sums blockhash needs, taken from the pixel band PDQ has just copied in. RGB sums all bytes of the run,
 * sixteen at a time: byte pairs into 16-bit lanes (each gains at most 510 per step, so 128 steps stay below
 * 2¹⁶), widened into 32-bit lanes once per 128 steps; RGBA goes pixel by pixel for the alpha test.
 */
function runSumsKernel(channels: 3 | 4): FunctionDef {
  const [src, width, rows, starts, ends, count, out] = [0, 1, 2, 3, 4, 5, 6];
  const [r, k, rowBase, e, o, total, chunk, chunkEnd] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [acc, acc16] = [15, 16];
  const byteAt = (at: Bytes): Bytes => [...at, 0x2d, 0, 0]; // i32.load8_u
  const runBound = (list: number): Bytes => [
    ...get(rowBase),
    ...get(list),
    ...get(k),
    ...i32(4),
    ...mul,
    ...add,
    ...i32Load,
    ...i32(channels),
    ...mul,
    ...add,
  ];
  const lastVector = [...get(e), ...i32(-15), ...add];
  const sumRun: Bytes =
    channels === 3
      ? [
          ...v128Zero,
          ...set(acc),
          ...runBound(starts),
          ...set(o),
          // Chunks of 128 vectors; o ends on the first byte the vectors did not cover.
          ...loop(chunk, get(o), lastVector, 16 * 128, [
            ...v128Zero,
            ...set(acc16),
            ...minI32([...get(chunk), ...i32(16 * 128), ...add], lastVector),
            ...set(chunkEnd),
            ...loop(o, get(chunk), get(chunkEnd), 16, [
              ...get(acc16),
              ...get(o),
              ...v128Load,
              ...simd(0x7d), // i16x8.extadd_pairwise_i8x16_u
              ...simd(0x8e), // i16x8.add
              ...set(acc16),
            ]),
            ...get(acc),
            ...get(acc16),
            ...simd(0x7f), // i32x4.extadd_pairwise_i16x8_u
            ...simd(0xae), // i32x4.add
            ...set(acc),
          ]),
          ...[0, 1, 2, 3].flatMap((lane) => [...get(acc), ...simd(0x1b, lane), ...(lane > 0 ? add : [])]),
          ...set(total),
          ...loop(o, get(o), get(e), 1, [...get(total), ...byteAt(get(o)), ...add, ...set(total)]),
        ]
      : [
          ...i32(0),
          ...set(total),
          ...loop(o, runBound(starts), get(e), 4, [
            ...get(total),
            ...byteAt(get(o)),
            ...byteAt([...get(o), ...i32(1), ...add]),
            ...add,
            ...byteAt([...get(o), ...i32(2), ...add]),
            ...add,
            ...i32(765),
            ...byteAt([...get(o), ...i32(3), ...add]),
            ...selectOp, // alpha ≠ 0 ? R+G+B : 765
            ...add,
            ...set(total),
          ]),
        ];
  const body = loop(r, i32(0), get(rows), 1, [
    ...get(src),
    ...get(r),
    ...get(width),
    ...mul,
    ...i32(channels),
    ...mul,
    ...add,
    ...set(rowBase),
    ...loop(k, i32(0), get(count), 1, [
      ...runBound(ends),
      ...set(e),
      ...sumRun,
      ...get(out),
      ...get(r),
      ...get(count),
      ...mul,
      ...get(k),
      ...add,
      ...i32(4),
      ...mul,
      ...add,
      ...get(total),
      0x36,
      2,
      0, // i32.store
    ]),
  ]);
  return { exportName: `runSums${channels}`, params: 7, locals: { i32: 8, v128: 2 }, body };
}

/**
 * dct(a, d, dt, t, b): the reference's 16×16 DCT of the 64×64 buffer `a`: T = D·A (16×64), then B = T·Dᵀ
 * (16×16), where `d` is the 16×64 DCT matrix and `dt` its transpose. Each output element is accumulated over k
 * in order, in float32, from 0, as the reference does; four outputs per vector.
 */
function dctKernel(): FunctionDef {
  const [a, d, dt, t, b] = [0, 1, 2, 3, 4];
  const [i, j, k] = [5, 6, 7];
  const s = 8;
  const at = (base: number, rowLocal: number, rowLength: number, colLocal: number): Bytes => [
    ...get(base),
    ...get(rowLocal),
    ...i32(rowLength * 4),
    ...mul,
    ...add,
    ...get(colLocal),
    ...i32(4),
    ...mul,
    ...add,
  ];
  const splatAt = (base: number, rowLocal: number, rowLength: number, colLocal: number): Bytes => [
    ...at(base, rowLocal, rowLength, colLocal),
    ...f32Load,
    ...f32x4Splat,
  ];
  // One matrix product: out[i][j..j+3] = Σ_k left[i][k] · right[k][j..j+3].
  const product = (left: number, leftCols: number, right: number, rightCols: number, out: number): Bytes =>
    loop(i, i32(0), i32(16), 1, [
      ...loop(j, i32(0), i32(rightCols), 4, [
        ...v128Zero,
        ...set(s),
        ...loop(k, i32(0), i32(leftCols), 1, [
          ...get(s),
          ...splatAt(left, i, leftCols, k),
          ...at(right, k, rightCols, j),
          ...v128Load,
          ...f32x4Mul,
          ...f32x4Add,
          ...set(s),
        ]),
        ...at(out, i, rightCols, j),
        ...get(s),
        ...v128Store,
      ]),
    ]);
  return {
    exportName: 'dct',
    params: 5,
    locals: { i32: 3, v128: 1 },
    body: [...product(d, 64, a, 64, t), ...product(t, 64, dt, 16, b)],
  };
}

/** The parts of the WebAssembly JS API used here (the compiler's lib has no WebAssembly declarations). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The instantiated kernels over one growable memory. */
export interface PdqKernels {
  memory: WasmMemory;
  luma3(src: number, dst: number, n: number): void;
  luma4(src: number, dst: number, n: number): void;
  dct(a: number, d: number, dt: number, t: number, b: number): void;
  runSums3(
    src: number,
    width: number,
    rows: number,
    starts: number,
    ends: number,
    count: number,
    out: number,
  ): void;
  runSums4(
    src: number,
    width: number,
    rows: number,
    starts: number,
    ends: number,
    count: number,
    out: number,
  ): void;
  /** Plain functions (no `this`), so that the engine can pick one per image. */
  axpy: (src: number, dst: number, n: number, weight: number) => void;
  lumaAxpy3: (src: number, dst: number, n: number, weight: number) => void;
  lumaAxpy4: (src: number, dst: number, n: number, weight: number) => void;
  dots(acc: number, accStride: number, rows: number, table: number, out: number): void;
}

let compiled: object | null | undefined;

/**
 * Instantiates the kernels with a fresh memory, or returns null where WebAssembly SIMD is unavailable (the
 * JavaScript implementation is then used). `lumaCoefficients` are the float32 R, G, B weights.
 */
export function createPdqKernels(lumaCoefficients: readonly [number, number, number]): PdqKernels | null {
  if (compiled === undefined) {
    const bytes = assemble([
      lumaKernel(3, lumaCoefficients),
      lumaKernel(4, lumaCoefficients),
      runSumsKernel(3),
      dctKernel(),
      runSumsKernel(4),
      axpyKernel(),
      lumaAxpyKernel(3),
      lumaAxpyKernel(4),
      dotsKernel(),
    ]);
    compiled = wasmApi?.validate(bytes) === true ? new wasmApi.Module(bytes) : null;
  }
  if (compiled === null || wasmApi === undefined) return null;
  const memory = new wasmApi.Memory({ initial: 1 });
  const instance = new wasmApi.Instance(compiled, { env: { memory } });
  return { memory, ...(instance.exports as unknown as Omit<PdqKernels, 'memory'>) };
}
