import { crc32 } from 'node:zlib';
import { HashingError, HashingErrorCode } from './errors.js';

/*
 * Animated PNG (APNG): a PNG whose acTL chunk announces frames, each an fcTL (size, offset, timing) and its data in
 * fdAT chunks. The default image (IDAT) is the first frame only when an fcTL comes before it; otherwise viewers
 * never show it, and a PNG decoder (libvips') sees nothing but it.
 */

const SIGNATURE_BYTES = 8;

/**
 * Most chunks of a PNG walked before it is refused (`MOD_ERR_HASH_TOO_MANY_CHUNKS`). Encoders write a few dozen; a
 * 50 MB image in libpng's 8 KiB IDAT chunks has 6,400, one written an IDAT per row (30,000 rows at most,
 * `maxDimension`) 30,000, an animation of `maxFrames` (1000) frames a few thousand. A file of empty chunks (12 bytes
 * each) holds 4.4 million in 50 MB: nothing but work for the walk and for libpng.
 */
export const MAX_PNG_CHUNKS = 100_000;

/** One chunk: its type and where its data lies in the file (a view, never a copy). */
interface Chunk {
  type: string;
  data: Uint8Array;
}

/**
 * The chunks of `png` in order, one at a time (none is kept: a caller stops as soon as it has what it needs, so the
 * heap holds one chunk whatever their number), up to IEND or a truncated one (the decoder judges what is there).
 * Throws `MOD_ERR_HASH_TOO_MANY_CHUNKS` at the chunk past `MAX_PNG_CHUNKS`.
 */
function* chunksOf(png: Uint8Array): Generator<Chunk, void, undefined> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let walked = 0;
  for (let at = SIGNATURE_BYTES; at + 12 <= png.byteLength; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > png.byteLength) return;
    if (++walked > MAX_PNG_CHUNKS)
      throw new HashingError(
        HashingErrorCode.TOO_MANY_CHUNKS,
        `the PNG has more than ${MAX_PNG_CHUNKS} chunks, the limit`,
      );
    const type = String.fromCharCode(png[at + 4]!, png[at + 5]!, png[at + 6]!, png[at + 7]!);
    yield { type, data: png.subarray(at + 8, at + 8 + length) };
    if (type === 'IEND') return;
    at += 12 + length;
  }
}

/** Writes a chunk of `type` and `data` (its length, type, data and CRC) into `out` at `at`; returns where it ends. */
function writeChunk(out: Uint8Array, at: number, type: string, data: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset + at, 12 + data.byteLength);
  view.setUint32(0, data.byteLength);
  for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
  out.set(data, at + 8);
  view.setUint32(8 + data.byteLength, crc32(out.subarray(at + 4, at + 8 + data.byteLength)));
  return at + 12 + data.byteLength;
}

const undecodable = (why: string) => new HashingError(HashingErrorCode.DECODE_FAILED, `animated PNG: ${why}`);

/**
 * The first chunk (IHDR in a well-formed PNG) and the first fcTL of an animated PNG (an acTL anywhere) whose first
 * IDAT comes before its first fcTL; `null` for any other PNG. The walk ends as soon as that is known.
 */
function hiddenDefaultImage(png: Uint8Array): { first: Chunk; control: Uint8Array } | null {
  let first: Chunk | undefined;
  let animated = false;
  let sawData = false;
  let control: Uint8Array | undefined;
  for (const c of chunksOf(png)) {
    first ??= c;
    if (c.type === 'acTL') animated = true;
    else if (c.type === 'IDAT') sawData = true;
    else if (c.type === 'fcTL' && control === undefined) {
      if (!sawData) return null; // the default image is the first frame (or there is none): libvips decodes it
      control = c.data;
    }
    if (animated && control !== undefined) return { first, control };
  }
  return null;
}

/**
 * The chunks of the still PNG of the first shown frame that come from `png`, after its IHDR: the PLTE and tRNS
 * before the default image, then the first frame's fdAT data as IDAT (up to the next fcTL or IEND).
 */
function* shownFrameChunks(png: Uint8Array): Generator<Chunk, void, undefined> {
  let part: 'header' | 'default image' | 'frame' = 'header';
  for (const c of chunksOf(png)) {
    if (part === 'header') {
      if (c.type === 'IDAT') part = 'default image';
      else if (c.type === 'PLTE' || c.type === 'tRNS') yield c;
    } else if (part === 'default image') {
      if (c.type === 'fcTL') part = 'frame';
    } else if (c.type === 'fcTL' || c.type === 'IEND') return;
    else if (c.type === 'fdAT' && c.data.byteLength > 4) yield { type: 'IDAT', data: c.data.subarray(4) };
  }
}

/**
 * When `png` is an animated PNG whose default image is not part of its animation, a still PNG of the first frame
 * viewers show (its fdAT data as IDAT, under the IHDR with the frame's size); `null` for any other PNG. Without it
 * the hashes were of a picture nobody sees: a benign default image over listed frames went unmatched.
 * Throws `MOD_ERR_HASH_DECODE_FAILED` when that frame is malformed (no data, or outside the canvas), and
 * `MOD_ERR_HASH_TOO_MANY_CHUNKS` for a PNG of more than `MAX_PNG_CHUNKS` chunks. Keeps no chunk: the heap it takes
 * does not grow with their number.
 */
export function apngFirstShownFrame(png: Uint8Array): Uint8Array | null {
  const hidden = hiddenDefaultImage(png);
  if (hidden === null) return null;
  const { first: ihdr, control } = hidden;
  if (ihdr.type !== 'IHDR' || ihdr.data.byteLength !== 13 || control.byteLength !== 26)
    throw undecodable('malformed IHDR or fcTL');
  const frame = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const canvas = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const [width, height, x, y] = [
    frame.getUint32(4),
    frame.getUint32(8),
    frame.getUint32(12),
    frame.getUint32(16),
  ];
  if (width === 0 || height === 0 || x + width > canvas.getUint32(0) || y + height > canvas.getUint32(4))
    throw undecodable(`its first frame (${width}×${height} at ${x},${y}) is not inside the canvas`);
  let bytes = SIGNATURE_BYTES + 12 + 13 + 12; // the signature, IHDR and IEND around the chunks taken
  let dataChunks = 0;
  for (const c of shownFrameChunks(png)) {
    bytes += 12 + c.data.byteLength;
    if (c.type === 'IDAT') dataChunks++;
  }
  if (dataChunks === 0) throw undecodable('its first frame has no data');
  const header = Uint8Array.from(ihdr.data);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  const out = new Uint8Array(bytes);
  out.set(png.subarray(0, SIGNATURE_BYTES));
  let at = writeChunk(out, SIGNATURE_BYTES, 'IHDR', header);
  for (const c of shownFrameChunks(png)) at = writeChunk(out, at, c.type, c.data);
  writeChunk(out, at, 'IEND', new Uint8Array(0));
  return out;
}

/**
 * Frames an animated PNG announces (its acTL chunk's count; the default image is not counted when left out of the
 * animation); `null` for a still PNG. libvips decodes none but the first shown one (`apngFirstShownFrame`): the
 * others are reported as frames not hashed. Throws `MOD_ERR_HASH_TOO_MANY_CHUNKS` as `apngFirstShownFrame` does.
 */
export function apngFrameCount(png: Uint8Array): number | null {
  for (const c of chunksOf(png)) {
    if (c.type !== 'acTL') continue;
    if (c.data.byteLength !== 8) return null;
    return new DataView(c.data.buffer, c.data.byteOffset, 8).getUint32(0);
  }
  return null;
}
