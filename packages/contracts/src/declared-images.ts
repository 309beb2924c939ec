import { deflateSync } from 'node:zlib';

/*
 * Images for tests that declare more than they hold. A subpath of `@mod/contracts` (not its pure main entry: it
 * uses node:zlib and Buffer), like `documented-error-codes`, so that the tests of `@mod/hashing` can use it without
 * a dependency cycle (`@mod/testing` depends on `@mod/db`, which depends on vault and hashing); `@mod/testing`
 * re-exports it for every other package's tests.
 */

/** CRC-32 (PNG chunk checksum). */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A PNG of about 100 bytes whose header declares `width × height` (8-bit RGB unless told; Adam7-interlaced when
 * asked) followed by a tiny, wrong-sized IDAT. Its pixels cannot be decoded, so a decoder that gets that far fails:
 * only a check of the header can refuse it otherwise. A 10000×10000 16-bit interlaced RGBA declaration is what a
 * real 1.2 MB file of that kind shows before decoding (a decompression bomb of 1.2 GB).
 */
export function pngDeclaring(
  width: number,
  height: number,
  o: { bitDepth?: 8 | 16; colourType?: 0 | 2 | 4 | 6; interlaced?: boolean } = {},
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = o.bitDepth ?? 8;
  ihdr[9] = o.colourType ?? 2; // 0 grey, 2 RGB, 4 grey + alpha, 6 RGBA
  ihdr[12] = o.interlaced === true ? 1 : 0; // Adam7
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** The header of the decompression bomb the decode budgets exist for: 10000×10000, 16-bit RGBA, interlaced. */
export const interlaced16BitBomb = (): Buffer =>
  pngDeclaring(10_000, 10_000, { bitDepth: 16, colourType: 6, interlaced: true });
