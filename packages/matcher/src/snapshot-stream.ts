import { crc32 } from 'node:zlib';
import { SnapshotError, MatcherErrorCode } from './errors.js';
import { LITTLE_ENDIAN, utf8, utf8Decoder } from './snapshot-bytes.js';

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
