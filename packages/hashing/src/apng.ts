import { crc32 } from 'node:zlib';
import { HashingError, HashingErrorCode } from './errors.js';

/*
 * Animated PNG (APNG): a PNG whose acTL chunk announces frames, each an fcTL (size, offset, timing) and its data in
 * fdAT chunks. The default image (IDAT) is the first frame only when an fcTL comes before it; otherwise viewers
 * never show it, and a PNG decoder (libvips') sees nothing but it.
 */

const SIGNATURE_BYTES = 8;

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunksOf(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  for (let at = SIGNATURE_BYTES; at + 12 <= png.byteLength; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(png[at + 4]!, png[at + 5]!, png[at + 6]!, png[at + 7]!);
    if (at + 12 + length > png.byteLength) break; // truncated: the decoder judges what is there
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return chunks;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.byteLength);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.byteLength, crc32(out.subarray(4, 8 + data.byteLength)));
  return out;
}

const undecodable = (why: string) => new HashingError(HashingErrorCode.DECODE_FAILED, `animated PNG: ${why}`);

/**
 * When `png` is an animated PNG whose default image is not part of its animation, a still PNG of the first frame
 * viewers show (its fdAT data as IDAT, under the IHDR with the frame's size); `null` for any other PNG. Without it
 * the hashes were of a picture nobody sees: a benign default image over listed frames went unmatched.
 * Throws `MOD_ERR_HASH_DECODE_FAILED` when that frame is malformed (no data, or outside the canvas).
 */
export function apngFirstShownFrame(png: Uint8Array): Uint8Array | null {
  const chunks = chunksOf(png);
  if (!chunks.some((c) => c.type === 'acTL')) return null;
  const firstData = chunks.findIndex((c) => c.type === 'IDAT');
  const firstControl = chunks.findIndex((c) => c.type === 'fcTL');
  if (firstData < 0 || firstControl < 0 || firstControl < firstData) return null;
  const ihdr = chunks[0];
  const control = chunks[firstControl]!.data;
  if (ihdr?.type !== 'IHDR' || ihdr.data.byteLength !== 13 || control.byteLength !== 26)
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
  const data: Uint8Array[] = [];
  for (const c of chunks.slice(firstControl + 1)) {
    if (c.type === 'fcTL' || c.type === 'IEND') break;
    if (c.type === 'fdAT' && c.data.byteLength > 4) data.push(chunk('IDAT', c.data.subarray(4)));
  }
  if (data.length === 0) throw undecodable('its first frame has no data');
  const header = Uint8Array.from(ihdr.data);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  const beforeData = chunks.slice(1, firstData).filter((c) => c.type === 'PLTE' || c.type === 'tRNS');
  const parts = [
    png.subarray(0, SIGNATURE_BYTES),
    chunk('IHDR', header),
    ...beforeData.map((c) => chunk(c.type, c.data)),
    ...data,
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Frames an animated PNG announces (its acTL chunk's count; the default image is not counted when left out of the
 * animation); `null` for a still PNG. libvips decodes none but the first shown one (`apngFirstShownFrame`): the
 * others are reported as frames not hashed.
 */
export function apngFrameCount(png: Uint8Array): number | null {
  const actl = chunksOf(png).find((c) => c.type === 'acTL');
  if (actl === undefined || actl.data.byteLength !== 8) return null;
  return new DataView(actl.data.buffer, actl.data.byteOffset, 8).getUint32(0);
}
