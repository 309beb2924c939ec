/**
 * The hot loops of PDQ (luminance, the box filter along rows and along columns, dihedral transforms) as a small
 * WebAssembly module with 128-bit SIMD, assembled here from the instruction listing below: there is no binary
 * artefact to trust and no build step. WebAssembly's f32 arithmetic is IEEE single precision, i.e. exactly the
 * float32 operations of Meta's C++ reference (JavaScript can only emulate them with Math.fround round trips,
 * several times slower); every lane does the reference's operations in the reference's order, and the tests
 * compare the results bit for bit with a plain transcription of the reference.
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
const sub = [0x6b];
const mul = [0x6c];
const geS = [0x4e];
const ltS = [0x48];
const selectOp = [0x1b];
/** min of two i32 expressions (each evaluated twice: keep them side-effect free). */
const minI32 = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...a, ...b, ...ltS, ...selectOp];
const f32Load = [0x2a, 2, 0];
const i32Load = [0x28, 2, 0];
const f32Store = [0x38, 2, 0];
const f32ConvertI32 = [0xb2];
const simd = (op: number, ...imm: number[]): Bytes => [0xfd, ...uleb(op), ...imm];
const v128Load = simd(0x00, 0, 0);
const v128Store = simd(0x0b, 0, 0);
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const shuffle = (lanes: number[]): Bytes => simd(0x0d, ...lanes);
const swizzle = simd(0x0e);
const f32x4Splat = simd(0x13);
const store32Lane = (lane: number): Bytes => simd(0x5a, 2, 0, lane);
const f32x4Add = simd(0xe4);
const f32x4Sub = simd(0xe5);
const f32x4Mul = simd(0xe6);
const f32x4Div = simd(0xe7);
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
        ...get(src),
        ...get(g),
        ...i32(channels),
        ...mul,
        ...add,
        ...v128Load,
        ...set(v),
        ...get(dst),
        ...get(g),
        ...i32(4),
        ...mul,
        ...add,
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
 * The four phases of the reference's box filter (accumulate, grow, slide, shrink), generic over how one step
 * reads a vector at a read offset and writes a vector at an output offset.
 */
function boxPhases(o: {
  window: number;
  length: number;
  /** Locals: */
  i: number;
  ri: number;
  li: number;
  oi: number;
  count: number;
  half: number;
  /** Byte distance between successive elements along the filter. */
  step: Bytes;
  /** Emits: the running sum(s) += input at `ri` (accumulate only). */
  accumulate: Bytes;
  /** Emits: sums += input[ri]; out[oi] = sums / count (count on the stack as f32x4 via `countVector`). */
  grow: Bytes;
  slide: Bytes;
  shrink: Bytes;
}): Bytes {
  const inc = (l: number): Bytes => [...get(l), ...o.step, ...add, ...set(l)];
  const count = (delta: number): Bytes => [...get(o.count), ...i32(delta), ...add, ...set(o.count)];
  return [
    ...i32(0),
    ...set(o.ri),
    ...i32(0),
    ...set(o.li),
    ...i32(0),
    ...set(o.oi),
    ...i32(0),
    ...set(o.count),
    // half = (window + 2) / 2
    ...get(o.window),
    ...i32(2),
    ...add,
    ...i32(1),
    0x75, // i32.shr_s
    ...set(o.half),
    ...loop(o.i, i32(0), [...get(o.half), ...i32(-1), ...add], 1, [
      ...o.accumulate,
      ...inc(o.ri),
      ...count(1),
    ]),
    ...loop(o.i, i32(0), [...get(o.window), ...get(o.half), ...sub, ...i32(1), ...add], 1, [
      ...count(1),
      ...o.grow,
      ...inc(o.ri),
      ...inc(o.oi),
    ]),
    ...loop(o.i, i32(0), [...get(o.length), ...get(o.window), ...sub], 1, [
      ...o.slide,
      ...inc(o.ri),
      ...inc(o.li),
      ...inc(o.oi),
    ]),
    ...loop(o.i, i32(0), [...get(o.half), ...i32(-1), ...add], 1, [
      ...count(-1),
      ...o.shrink,
      ...inc(o.li),
      ...inc(o.oi),
    ]),
  ];
}

/** 32-bit lanes [l0..l3] of two vectors (0-3 from the first, 4-7 from the second) as an i8x16.shuffle. */
const lanes32 = (l: number[]): Bytes =>
  shuffle(l.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]));

/** Transposes the 4×4 floats in locals v[0..3] into locals c[0..3] (t[0..3] are temporaries). */
function transpose4(v: number[], t: number[], c: number[]): Bytes {
  const pair = (a: number, b: number, l: number[], to: number): Bytes => [
    ...get(a),
    ...get(b),
    ...lanes32(l),
    ...set(to),
  ];
  return [
    ...pair(v[0]!, v[1]!, [0, 4, 1, 5], t[0]!),
    ...pair(v[0]!, v[1]!, [2, 6, 3, 7], t[1]!),
    ...pair(v[2]!, v[3]!, [0, 4, 1, 5], t[2]!),
    ...pair(v[2]!, v[3]!, [2, 6, 3, 7], t[3]!),
    ...pair(t[0]!, t[2]!, [0, 1, 4, 5], c[0]!),
    ...pair(t[0]!, t[2]!, [2, 3, 6, 7], c[1]!),
    ...pair(t[1]!, t[3]!, [0, 1, 4, 5], c[2]!),
    ...pair(t[1]!, t[3]!, [2, 3, 6, 7], c[3]!),
  ];
}

/**
 * Vectors of four rows that the row filters run side by side: four independent chains of additions keep the
 * floating-point adder busy (one chain waits on its own latency twice per step).
 */
export const ROW_GROUPS = 4;
/** Rows that one call of `rows` / `rowsPick` filters (callers feed bands of this many rows). */
export const ROWS_PER_CALL = 4 * ROW_GROUPS;

/**
 * rows / rowsPick(input, output, width, height, window, pack, outPack, pick, pickCount, outRowBytes): box filter along
 * every row, ROWS_PER_CALL rows at a time. The rows are transposed (4×4 blocks) into `pack` so that each x holds
 * ROW_GROUPS vectors of four rows; the filter then runs that many independent vector chains (each lane is one row's
 * running sum, with the reference's operations in its order), and the result is transposed back into the output rows
 * (rows), or only the columns listed in `pick` (pickCount of them, i32) are written, to column j of
 * rows `outRowBytes` apart. A last partial group repeats the final row, which writes the same values again.
 * Whole 4-column blocks are read (slack after each buffer); the last block of a row is written first, so
 * that its spill into the next row is overwritten by that row's own values.
 */
function rowsKernel(picking: boolean): FunctionDef {
  const [input, output, width, height, window, pack, outPack, pick, pickCount, outRowBytes] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ];
  let next = 10;
  const local = (): number => next++;
  const r = local();
  const i = local();
  const ri = local();
  const li = local();
  const oi = local();
  const count = local();
  const half = local();
  const b = local();
  const blocks = local();
  const j = local();
  const x = local();
  const groups = Array.from({ length: ROW_GROUPS }, (_, g) => g);
  const p = Array.from({ length: ROWS_PER_CALL }, local);
  const q = Array.from({ length: ROWS_PER_CALL }, local);
  const i32Locals = next - 10;
  const s = groups.map(local);
  const v = [local(), local(), local(), local()];
  const t = [local(), local(), local(), local()];
  const c = [local(), local(), local(), local()];
  const cv = local();
  const v128Locals = next - 10 - i32Locals;

  const clampedRow = (m: number): Bytes => [
    ...get(r),
    ...i32(m),
    ...add,
    ...get(height),
    ...i32(-1),
    ...add,
    ...get(r),
    ...i32(m),
    ...add,
    ...get(height),
    ...i32(-1),
    ...add,
    ...ltS,
    ...selectOp,
  ];
  const rowPointers = p.flatMap((_, m) => [
    ...get(input),
    ...clampedRow(m),
    ...get(width),
    ...mul,
    ...i32(4),
    ...mul,
    ...add,
    ...set(p[m]!),
    ...get(output),
    ...clampedRow(m),
    ...get(outRowBytes),
    ...mul,
    ...add,
    ...set(q[m]!),
  ]);
  // pack/outPack address of (x, group g): base + x·xBytes + g·16, with x·xBytes in a local.
  const xBytes = 16 * ROW_GROUPS;
  const packAt = (base: number, xBytes: Bytes, g: number): Bytes => [
    ...get(base),
    ...xBytes,
    ...add,
    ...i32(16 * g),
    ...add,
  ];
  const transposeIn = loop(
    b,
    i32(0),
    get(blocks),
    1,
    groups.flatMap((g) => [
      ...[0, 1, 2, 3].flatMap((k) => [
        ...get(p[4 * g + k]!),
        ...get(b),
        ...i32(16),
        ...mul,
        ...add,
        ...v128Load,
        ...set(v[k]!),
      ]),
      ...transpose4(v, t, c),
      ...[0, 1, 2, 3].flatMap((k) => [
        ...packAt(pack, [...get(b), ...i32(4), ...mul, ...i32(k), ...add, ...i32(xBytes), ...mul], g),
        ...get(c[k]!),
        ...v128Store,
      ]),
    ]),
  );
  const readPack = (at: number, g: number): Bytes => [...packAt(pack, get(at), g), ...v128Load];
  // Picking stores the running sums and divides only the picked columns (by the count at that column).
  const writeOut = (g: number): Bytes => [
    ...packAt(outPack, get(oi), g),
    ...get(s[g]!),
    ...(picking ? [] : [...get(cv), ...f32x4Div]),
    ...v128Store,
  ];
  const countVector: Bytes = [...get(count), ...f32ConvertI32, ...f32x4Splat, ...set(cv)];
  const chains = (step: (g: number) => Bytes): Bytes => groups.flatMap(step);
  const filter = boxPhases({
    window,
    length: width,
    i,
    ri,
    li,
    oi,
    count,
    half,
    step: i32(xBytes),
    accumulate: chains((g) => [...get(s[g]!), ...readPack(ri, g), ...f32x4Add, ...set(s[g]!)]),
    grow: [
      ...countVector,
      ...chains((g) => [...get(s[g]!), ...readPack(ri, g), ...f32x4Add, ...set(s[g]!), ...writeOut(g)]),
    ],
    slide: [
      ...countVector,
      ...chains((g) => [
        ...get(s[g]!),
        ...readPack(ri, g),
        ...f32x4Add,
        ...readPack(li, g),
        ...f32x4Sub,
        ...set(s[g]!),
        ...writeOut(g),
      ]),
    ],
    shrink: [
      ...countVector,
      ...chains((g) => [...get(s[g]!), ...readPack(li, g), ...f32x4Sub, ...set(s[g]!), ...writeOut(g)]),
    ],
  });
  // Full output: blocks from last to first (see above).
  const transposeOut = loop(b, i32(0), get(blocks), 1, [
    ...get(blocks),
    ...i32(-1),
    ...add,
    ...get(b),
    ...sub,
    ...set(j),
    ...groups.flatMap((g) => [
      ...[0, 1, 2, 3].flatMap((k) => [
        ...packAt(outPack, [...get(j), ...i32(4), ...mul, ...i32(k), ...add, ...i32(xBytes), ...mul], g),
        ...v128Load,
        ...set(v[k]!),
      ]),
      ...transpose4(v, t, c),
      ...[0, 1, 2, 3].flatMap((k) => [
        ...get(q[4 * g + k]!),
        ...get(j),
        ...i32(16),
        ...mul,
        ...add,
        ...get(c[k]!),
        ...v128Store,
      ]),
    ]),
  ]);
  const picked = loop(j, i32(0), get(pickCount), 1, [
    ...get(pick),
    ...get(j),
    ...i32(4),
    ...mul,
    ...add,
    ...i32Load,
    ...set(x),
    // The window's count at column x: min(half + x, window, width − x + window − half).
    ...minI32(minI32([...get(half), ...get(x), ...add], get(window)), [
      ...get(width),
      ...get(x),
      ...sub,
      ...get(window),
      ...add,
      ...get(half),
      ...sub,
    ]),
    ...f32ConvertI32,
    ...f32x4Splat,
    ...set(cv),
    ...get(x),
    ...i32(xBytes),
    ...mul,
    ...set(x),
    ...groups.flatMap((g) => [
      ...packAt(outPack, get(x), g),
      ...v128Load,
      ...get(cv),
      ...f32x4Div,
      ...set(v[0]!),
      ...[0, 1, 2, 3].flatMap((k) => [
        ...get(q[4 * g + k]!),
        ...get(j),
        ...i32(4),
        ...mul,
        ...add,
        ...get(v[0]!),
        ...store32Lane(k),
      ]),
    ]),
  ]);
  const body = [
    ...get(width),
    ...i32(3),
    ...add,
    ...i32(2),
    0x75, // i32.shr_s
    ...set(blocks),
    ...loop(r, i32(0), get(height), ROWS_PER_CALL, [
      ...rowPointers,
      ...transposeIn,
      ...s.flatMap((sum) => [...v128Zero, ...set(sum)]),
      ...filter,
      ...(picking ? picked : transposeOut),
    ]),
  ];
  return {
    exportName: picking ? 'rowsPick' : 'rows',
    params: 10,
    locals: { i32: i32Locals, v128: v128Locals },
    body,
  };
}

/** Steps of the column filter for `colsRow`, i.e. the reference's four phases (and resetting the sums). */
export const ColsRowMode = { RESET: 0, ADD: 1, ADD_OUT: 2, ADD_SUB_OUT: 3, SUB_OUT: 4 } as const;

/**
 * colsRow(addRow, subRow, outRow, sums, width, count, mode): one step of the box filter down every column, for
 * streaming the filter through a few rows at a time: sums += addRow (ADD…), sums −= subRow (…SUB…), in that
 * order, then outRow = sums / count (…OUT), four columns per vector (rows rounded up to whole vectors).
 */
function colsRowKernel(): FunctionDef {
  const [addRow, subRow, outRow, sums, width, count, mode] = [0, 1, 2, 3, 4, 5, 6];
  const [c, vecBytes] = [7, 8];
  const [s, cv] = [9, 10];
  const acrossRow = (body: Bytes): Bytes => loop(c, i32(0), get(vecBytes), 16, body);
  const sumAt: Bytes = [...get(sums), ...get(c), ...add];
  const rowAt = (row: number): Bytes => [...get(row), ...get(c), ...add, ...v128Load];
  const out: Bytes = [...get(outRow), ...get(c), ...add, ...get(s), ...get(cv), ...f32x4Div, ...v128Store];
  const keep: Bytes = [...set(s), ...sumAt, ...get(s), ...v128Store];
  const whenMode = (m: number, body: Bytes): Bytes => [
    ...get(mode),
    ...i32(m),
    0x46 /* i32.eq */,
    0x04,
    0x40,
    ...body,
    0x0b,
  ];
  return {
    exportName: 'colsRow',
    params: 7,
    locals: { i32: 2, v128: 2 },
    body: [
      ...get(width),
      ...i32(3),
      ...add,
      ...i32(-4),
      0x71, // i32.and
      ...i32(4),
      ...mul,
      ...set(vecBytes),
      ...get(count),
      ...f32ConvertI32,
      ...f32x4Splat,
      ...set(cv),
      ...whenMode(ColsRowMode.RESET, acrossRow([...sumAt, ...v128Zero, ...v128Store])),
      ...whenMode(
        ColsRowMode.ADD,
        acrossRow([...sumAt, ...sumAt, ...v128Load, ...rowAt(addRow), ...f32x4Add, ...v128Store]),
      ),
      ...whenMode(
        ColsRowMode.ADD_OUT,
        acrossRow([...sumAt, ...v128Load, ...rowAt(addRow), ...f32x4Add, ...keep, ...out]),
      ),
      ...whenMode(
        ColsRowMode.ADD_SUB_OUT,
        acrossRow([
          ...sumAt,
          ...v128Load,
          ...rowAt(addRow),
          ...f32x4Add,
          ...rowAt(subRow),
          ...f32x4Sub,
          ...keep,
          ...out,
        ]),
      ),
      ...whenMode(
        ColsRowMode.SUB_OUT,
        acrossRow([...sumAt, ...v128Load, ...rowAt(subRow), ...f32x4Sub, ...keep, ...out]),
      ),
    ],
  };
}

/**
 * cols(input, output, sums, width, height, window): box filter down every column, four columns per vector.
 * Rows are rounded up to whole vectors: the extra lanes read the next row's first samples and write into the
 * next output row, which is overwritten with its own values afterwards (and the buffers have slack at the end).
 */
function colsKernel(): FunctionDef {
  const [input, output, sums, width, height, window] = [0, 1, 2, 3, 4, 5];
  const [i, ri, li, oi, count, half, c, rowBytes, vecBytes] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [s, cv] = [15, 16];
  const acrossRow = (body: Bytes): Bytes => loop(c, i32(0), get(vecBytes), 16, body);
  const sumAt: Bytes = [...get(sums), ...get(c), ...add];
  const inputAt = (l: number): Bytes => [...get(input), ...get(l), ...add, ...get(c), ...add, ...v128Load];
  const store: Bytes = [
    ...sumAt,
    ...get(s),
    ...v128Store,
    ...get(output),
    ...get(oi),
    ...add,
    ...get(c),
    ...add,
    ...get(s),
    ...get(cv),
    ...f32x4Div,
    ...v128Store,
  ];
  const countVector: Bytes = [...get(count), ...f32ConvertI32, ...f32x4Splat, ...set(cv)];
  const body = [
    ...get(width),
    ...i32(4),
    ...mul,
    ...set(rowBytes),
    // Whole vectors per row: ceil(width / 4) · 16 bytes.
    ...get(width),
    ...i32(3),
    ...add,
    ...i32(-4),
    0x71, // i32.and
    ...i32(4),
    ...mul,
    ...set(vecBytes),
    ...acrossRow([...sumAt, ...v128Zero, ...v128Store]),
    ...boxPhases({
      window,
      length: height,
      i,
      ri,
      li,
      oi,
      count,
      half,
      step: get(rowBytes),
      accumulate: acrossRow([...sumAt, ...sumAt, ...v128Load, ...inputAt(ri), ...f32x4Add, ...v128Store]),
      grow: [
        ...countVector,
        ...acrossRow([...sumAt, ...v128Load, ...inputAt(ri), ...f32x4Add, ...set(s), ...store]),
      ],
      slide: [
        ...countVector,
        ...acrossRow([
          ...sumAt,
          ...v128Load,
          ...inputAt(ri),
          ...f32x4Add,
          ...inputAt(li),
          ...f32x4Sub,
          ...set(s),
          ...store,
        ]),
      ],
      shrink: [
        ...countVector,
        ...acrossRow([...sumAt, ...v128Load, ...inputAt(li), ...f32x4Sub, ...set(s), ...store]),
      ],
    }),
  ];
  return { exportName: 'cols', params: 6, locals: { i32: 9, v128: 2 }, body };
}

/**
 * transform(src, dst, width, height, origin, dx, dy): dst[origin + x·dx + y·dy] = src[y·width + x], in 32×32
 * tiles so that both the reads and the (possibly transposed) writes stay in cache.
 */
function transformKernel(): FunctionDef {
  const [src, dst, width, height, origin, dx, dy] = [0, 1, 2, 3, 4, 5, 6];
  const [x, y, tx, ty, xEnd, yEnd, p, o] = [7, 8, 9, 10, 11, 12, 13, 14];
  const tile = 32;
  const body = loop(ty, i32(0), get(height), tile, [
    ...minI32([...get(ty), ...i32(tile), ...add], get(height)),
    ...set(yEnd),
    ...loop(tx, i32(0), get(width), tile, [
      ...minI32([...get(tx), ...i32(tile), ...add], get(width)),
      ...set(xEnd),
      ...loop(y, get(ty), get(yEnd), 1, [
        // p = src + (y·width + tx)·4; o = dst + (origin + tx·dx + y·dy)·4
        ...get(y),
        ...get(width),
        ...mul,
        ...get(tx),
        ...add,
        ...i32(4),
        ...mul,
        ...get(src),
        ...add,
        ...set(p),
        ...get(origin),
        ...get(tx),
        ...get(dx),
        ...mul,
        ...add,
        ...get(y),
        ...get(dy),
        ...mul,
        ...add,
        ...i32(4),
        ...mul,
        ...get(dst),
        ...add,
        ...set(o),
        ...loop(x, get(tx), get(xEnd), 1, [
          ...get(o),
          ...get(p),
          ...f32Load,
          ...f32Store,
          ...get(p),
          ...i32(4),
          ...add,
          ...set(p),
          ...get(o),
          ...get(dx),
          ...i32(4),
          ...mul,
          ...add,
          ...set(o),
        ]),
      ]),
    ]),
  ]);
  return { exportName: 'transform', params: 7, locals: { i32: 8 }, body };
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
  rows(
    input: number,
    output: number,
    width: number,
    height: number,
    window: number,
    pack: number,
    outPack: number,
    pick: number,
    pickCount: number,
    outRowBytes: number,
  ): void;
  rowsPick(
    input: number,
    output: number,
    width: number,
    height: number,
    window: number,
    pack: number,
    outPack: number,
    pick: number,
    pickCount: number,
    outRowBytes: number,
  ): void;
  cols(input: number, output: number, sums: number, width: number, height: number, window: number): void;
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
  colsRow(
    addRow: number,
    subRow: number,
    outRow: number,
    sums: number,
    width: number,
    count: number,
    mode: number,
  ): void;
  transform(
    src: number,
    dst: number,
    width: number,
    height: number,
    origin: number,
    dx: number,
    dy: number,
  ): void;
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
      rowsKernel(false),
      rowsKernel(true),
      colsKernel(),
      colsRowKernel(),
      runSumsKernel(3),
      dctKernel(),
      runSumsKernel(4),
      transformKernel(),
    ]);
    compiled = wasmApi?.validate(bytes) === true ? new wasmApi.Module(bytes) : null;
  }
  if (compiled === null || wasmApi === undefined) return null;
  const memory = new wasmApi.Memory({ initial: 1 });
  const instance = new wasmApi.Instance(compiled, { env: { memory } });
  return { memory, ...(instance.exports as unknown as Omit<PdqKernels, 'memory'>) };
}
