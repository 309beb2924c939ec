import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A PNG chunk of no data: its length (0), its type (a private ancillary one, which decoders skip) and its CRC. */
export function emptyChunk(type: string): Buffer {
  const chunk = Buffer.alloc(12);
  chunk.write(type, 4, 'latin1');
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8)), 8);
  return chunk;
}

/** Where chunks put after a PNG's header start: the signature, then IHDR (its 13 bytes of data in a chunk's 12). */
export const PNG_AFTER_HEADER = 8 + 12 + 13;

/** A flat PNG of `width`×`height` with `chunks` (whole chunks) between its header and its pixels. */
export async function flatPngWith(
  chunks: Buffer,
  { width = 8, height = 8, background = '#808080' } = {},
): Promise<Buffer> {
  const png = await sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
  return Buffer.concat([png.subarray(0, PNG_AFTER_HEADER), chunks, png.subarray(PNG_AFTER_HEADER)]);
}
