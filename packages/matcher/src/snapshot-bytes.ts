import { crc32 } from 'node:zlib';
import { SnapshotError, MatcherErrorCode } from './errors.js';

/**
 * Snapshots held whole in memory (an index's `serialize` / `deserialize`): a framed body with its length up front
 * and a CRC-32. Streamed snapshots of any size are `snapshot-stream.ts`.
 */

const HEADER_BYTES = 24;
/** Typed arrays are written as little-endian bytes; on such a host their memory is written as it is. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
export const utf8 = new TextEncoder();
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends typed values to a list of byte parts; `sealSnapshot` concatenates them once. */
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
