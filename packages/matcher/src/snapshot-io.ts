import { crc32 } from 'node:zlib';
import { SnapshotError, MatcherErrorCode } from './errors.js';

const HEADER_BYTES = 24;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends typed values to a list of byte parts; `finish` concatenates once. */
export class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  u32(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.push(b);
  }

  /** Writes a u32 length then the bytes. */
  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.push(value);
  }

  /** Writes a u32 element count then the words as little-endian bytes (no copy on LE hosts). */
  words(value: Uint32Array): void {
    this.u32(value.length);
    if (LITTLE_ENDIAN) this.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else {
      const b = new Uint8Array(value.length * 4);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < value.length; i++) dv.setUint32(i * 4, value[i] ?? 0, true);
      this.push(b);
    }
  }

  string(value: string): void {
    this.bytes(utf8.encode(value));
  }

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  get byteLength(): number {
    return this.length;
  }

  /** The body bytes as parts (for sealing without an extra copy). */
  get chunks(): readonly Uint8Array[] {
    return this.parts;
  }
}

/** Reads what `ByteWriter` wrote; every overrun is a typed `SnapshotError`, never a RangeError. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.buf.length) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot is truncated`);
    }
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next length-prefixed byte run. */
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A fresh, aligned copy of the next length-prefixed word array. */
  words(): Uint32Array {
    const n = this.u32();
    this.need(n * 4);
    const out = new Uint32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(this.buf.subarray(this.pos, this.pos + n * 4));
    else for (let i = 0; i < n; i++) out[i] = this.view.getUint32(this.pos + i * 4, true);
    this.pos += n * 4;
    return out;
  }

  string(): string {
    try {
      return utf8Decoder.decode(this.bytes());
    } catch (cause) {
      if (cause instanceof SnapshotError) throw cause;
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot holds invalid UTF-8`, {
        cause,
      });
    }
  }

  /** Throws unless every byte was consumed (trailing garbage means a writer/reader mismatch). */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot has trailing bytes`);
    }
  }
}

/**
 * Frames a body: 8-byte ASCII magic, u32 version, u32 flags, u64 body length, body, u32 CRC-32 of all that
 * precedes it. The CRC is computed natively (zlib) so a 300 MB snapshot seals in well under a second.
 */
export function sealSnapshot(magic: string, version: number, body: ByteWriter): Uint8Array {
  const total = HEADER_BYTES + body.byteLength + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = magic.charCodeAt(i);
  dv.setUint32(8, version, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, body.byteLength % 2 ** 32, true);
  dv.setUint32(20, Math.floor(body.byteLength / 2 ** 32), true);
  let pos = HEADER_BYTES;
  for (const part of body.chunks) {
    out.set(part, pos);
    pos += part.length;
  }
  dv.setUint32(pos, crc32(out.subarray(0, pos)), true);
  return out;
}

/** Checks magic, version, length and checksum; returns a reader over the body. */
export function openSnapshot(
  bytes: Uint8Array,
  magic: string,
  supportedVersion: number,
  what: string,
): ByteReader {
  if (!(bytes instanceof Uint8Array)) {
    throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${what} snapshot must be a Uint8Array`);
  }
  if (bytes.length < HEADER_BYTES + 4) {
    throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${what} snapshot is truncated`);
  }
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== magic.charCodeAt(i)) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${what} snapshot has a wrong magic number`);
    }
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== supportedVersion) {
    throw new SnapshotError(
      MatcherErrorCode.SnapshotVersion,
      `${what} snapshot version ${version} is not supported (expected ${supportedVersion})`,
    );
  }
  const bodyLength = dv.getUint32(16, true) + dv.getUint32(20, true) * 2 ** 32;
  if (HEADER_BYTES + bodyLength + 4 !== bytes.length) {
    throw new SnapshotError(
      MatcherErrorCode.CorruptSnapshot,
      `${what} snapshot length does not match its header`,
    );
  }
  const end = HEADER_BYTES + bodyLength;
  if (crc32(bytes.subarray(0, end)) !== dv.getUint32(end, true)) {
    throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${what} snapshot checksum mismatch`);
  }
  return new ByteReader(bytes.subarray(HEADER_BYTES, end), what);
}

/**
 * Where a streamed snapshot goes: called with each part in order. The part may be a view of live index memory,
 * so the sink must be done with it when its promise resolves (write it, do not keep it).
 */
export type SnapshotSink = (part: Uint8Array) => Promise<void> | void;

/** Where a streamed snapshot comes from: fills `target` completely with the next bytes, in order, or rejects. */
export type SnapshotSource = (target: Uint8Array) => Promise<void> | void;

/** Largest slice handed to the sink, the source or the CRC at once (file APIs stop at 2 GiB per call). */
const STREAM_SLICE = 1 << 30;
/**
 * Slice an array is read in: while the source fills one slice (a file read runs on libuv's thread pool), the CRC
 * of the one before runs on this thread, so a multi-GB snapshot costs about its read time, not read plus CRC.
 */
const READ_SLICE = 1 << 25;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) {
    throw new SnapshotError(
      MatcherErrorCode.CorruptSnapshot,
      'streamed snapshots hold typed arrays as little-endian bytes; this host is big-endian',
    );
  }
}

type TypedArray = Int32Array | Uint32Array | Uint8Array | Float64Array;

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Writes a streamed snapshot: 8-byte ASCII magic, u32 version, u32 flags, then the body (small values are
 * buffered; typed arrays go to the sink as views of their own memory, in slices of at most 1 GiB, never copied),
 * then a u32 CRC-32 of everything before it. No length up front, so nothing is assembled in memory: a 6 GB
 * index streams to a file with a few KB of buffers.
 */
export class StreamWriter {
  private crc = 0;
  private pending: number[] = [];

  constructor(private readonly sink: SnapshotSink) {
    requireLittleEndian();
  }

  async begin(magic: string, version: number): Promise<void> {
    for (let i = 0; i < 8; i++) this.pending.push(magic.charCodeAt(i) & 0xff);
    this.u32(version);
    this.u32(0);
    await this.flush();
  }

  u32(value: number): void {
    const v = value >>> 0;
    this.pending.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }

  u64(value: number): void {
    this.u32(value % 2 ** 32);
    this.u32(Math.floor(value / 2 ** 32));
  }

  /** A u64 element count, then the elements' bytes. */
  async array(a: TypedArray): Promise<void> {
    this.u64(a.length);
    await this.flush();
    const bytes = bytesOf(a);
    for (let off = 0; off < bytes.length; off += STREAM_SLICE)
      await this.emit(bytes.subarray(off, Math.min(bytes.length, off + STREAM_SLICE)));
  }

  async string(value: string): Promise<void> {
    await this.array(utf8.encode(value));
  }

  /** Appends the CRC-32 of every byte written. */
  async end(): Promise<void> {
    await this.flush();
    const crc = this.crc;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, crc, true);
    await this.sink(b);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const b = Uint8Array.from(this.pending);
    this.pending = [];
    await this.emit(b);
  }

  private async emit(b: Uint8Array): Promise<void> {
    this.crc = crc32(b, this.crc);
    await this.sink(b);
  }
}

/**
 * Reads what `StreamWriter` wrote. Typed arrays are read straight into freshly allocated (or caller-given)
 * arrays; the CRC is checked by `end()`, so a caller must not use what it read before `end()` resolves.
 * Every inconsistency is a typed `SnapshotError`.
 */
export class StreamReader {
  private crc = 0;
  private readonly small = new Uint8Array(8);
  private readonly smallView = new DataView(this.small.buffer);

  constructor(
    private readonly source: SnapshotSource,
    private readonly what: string,
  ) {
    requireLittleEndian();
  }

  async begin(magic: string, supportedVersion: number): Promise<void> {
    const head = new Uint8Array(16);
    await this.fill(head);
    for (let i = 0; i < 8; i++) {
      if (head[i] !== magic.charCodeAt(i)) {
        throw new SnapshotError(
          MatcherErrorCode.CorruptSnapshot,
          `${this.what} snapshot has a wrong magic number`,
        );
      }
    }
    const version = new DataView(head.buffer).getUint32(8, true);
    if (version !== supportedVersion) {
      throw new SnapshotError(
        MatcherErrorCode.SnapshotVersion,
        `${this.what} snapshot version ${version} is not supported (expected ${supportedVersion})`,
      );
    }
  }

  async u32(): Promise<number> {
    await this.fill(this.small.subarray(0, 4));
    return this.smallView.getUint32(0, true);
  }

  async u64(): Promise<number> {
    const lo = await this.u32();
    const hi = await this.u32();
    const v = lo + hi * 2 ** 32;
    if (!Number.isSafeInteger(v)) this.corrupt('holds an impossible length');
    return v;
  }

  /**
   * The next array: its element count must be `expected` when given (and at most `max`), and it is read into
   * `into` when given (which must be at least that long), else into a new array made by `make`.
   */
  async array<T extends TypedArray>(
    make: (length: number) => T,
    opts: { expected?: number; max?: number; into?: T } = {},
  ): Promise<T> {
    const n = await this.u64();
    if (opts.expected !== undefined && n !== opts.expected) this.corrupt('has an array of the wrong length');
    if (opts.max !== undefined && n > opts.max) this.corrupt('has an array longer than its header allows');
    if (opts.into !== undefined && opts.into.length < n) this.corrupt('has an array longer than its target');
    let out: T;
    try {
      out = opts.into === undefined ? make(n) : (opts.into.subarray(0, n) as T);
    } catch (cause) {
      throw new SnapshotError(
        MatcherErrorCode.CorruptSnapshot,
        `${this.what} snapshot asks for ${n} elements`,
        {
          cause,
        },
      );
    }
    const bytes = bytesOf(out);
    let previous: Uint8Array | undefined;
    for (let off = 0; off < bytes.length; off += READ_SLICE) {
      const slice = bytes.subarray(off, Math.min(bytes.length, off + READ_SLICE));
      const filling = this.request(slice);
      if (previous !== undefined) this.crc = crc32(previous, this.crc);
      await filling;
      previous = slice;
    }
    if (previous !== undefined) this.crc = crc32(previous, this.crc);
    return opts.into ?? out;
  }

  async string(maxBytes = 256 * 2 ** 20): Promise<string> {
    const b = await this.array((n) => new Uint8Array(n), { max: maxBytes });
    try {
      return utf8Decoder.decode(b);
    } catch (cause) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot holds invalid UTF-8`, {
        cause,
      });
    }
  }

  /** Reads the CRC-32 and checks it against every byte read. */
  async end(): Promise<void> {
    const expected = this.crc;
    const b = new Uint8Array(4);
    try {
      await this.source(b);
    } catch (cause) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot is truncated`, {
        cause,
      });
    }
    if (new DataView(b.buffer).getUint32(0, true) !== expected) {
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot checksum mismatch`);
    }
  }

  corrupt(why: string): never {
    throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot ${why}`);
  }

  private async fill(target: Uint8Array): Promise<void> {
    await this.request(target);
    this.crc = crc32(target, this.crc);
  }

  /** Asks the source for the next `target.length` bytes (not yet counted in the CRC). */
  private async request(target: Uint8Array): Promise<void> {
    try {
      await this.source(target);
    } catch (cause) {
      if (cause instanceof SnapshotError) throw cause;
      throw new SnapshotError(MatcherErrorCode.CorruptSnapshot, `${this.what} snapshot is truncated`, {
        cause,
      });
    }
  }
}

/** A sink that keeps copies of the parts and a way to join them (for `snapshot()`-style byte snapshots). */
export function collectingSink(): { sink: SnapshotSink; bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  let total = 0;
  return {
    sink: (part) => {
      parts.push(part.slice());
      total += part.length;
    },
    bytes: () => {
      const out = new Uint8Array(total);
      let pos = 0;
      for (const p of parts) {
        out.set(p, pos);
        pos += p.length;
      }
      return out;
    },
  };
}

/** A source over bytes in memory; reading past the end rejects (a truncated snapshot). */
export function bytesSource(bytes: Uint8Array): (target: Uint8Array) => void {
  let pos = 0;
  return (target) => {
    if (pos + target.length > bytes.length) throw new Error('end of snapshot bytes');
    target.set(bytes.subarray(pos, pos + target.length));
    pos += target.length;
  };
}
