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

/**
 * A little-endian baseline TIFF of `width × height` 8-bit (or 16-bit) samples, interleaved unless `planar`, RGB (or grey) plus `samplesPerPixel` minus
 * 3 (or 1) extra samples, in one strip: `strip` (uncompressed, `width × height × samplesPerPixel` bytes) when given,
 * else a tiny deflated strip of the wrong size, so that only a check of the header can refuse it. TIFF allows any
 * number of extra samples per pixel; a decoder passes them through, so the decoded image has that many channels.
 */
export function tiffDeclaring(
  width: number,
  height: number,
  o: {
    samplesPerPixel?: number;
    greyscale?: boolean;
    strip?: Uint8Array;
    bits?: 8 | 16;
    planar?: boolean;
  } = {},
): Buffer {
  const colour = o.greyscale === true ? 1 : 3;
  const spp = o.samplesPerPixel ?? colour;
  const strip = o.strip ?? deflateSync(Buffer.alloc(64));
  const extra = spp - colour;
  // Tag, type (3 SHORT, 4 LONG), values; arrays longer than fit in 4 bytes go after the directory.
  const tags: [number, 3 | 4, number[]][] = [
    [256, 4, [width]],
    [257, 4, [height]],
    [258, 3, new Array<number>(spp).fill(o.bits ?? 8)],
    [259, 3, [o.strip === undefined ? 8 : 1]], // deflate (the bogus strip) or none
    [262, 3, [o.greyscale === true ? 1 : 2]], // min-is-black or RGB
    [273, 4, [0]], // strip offset, set below
    [277, 3, [spp]],
    [278, 4, [height]],
    [279, 4, [strip.length]],
    [284, 3, [o.planar === true ? 2 : 1]], // interleaved, or plane by plane (one strip holding every plane here)
    ...(extra > 0 ? [[338, 3, new Array<number>(extra).fill(0)] as [number, 3, number[]]] : []),
  ];
  const dirBytes = 2 + tags.length * 12 + 4;
  const dir = Buffer.alloc(dirBytes);
  const overflow: Buffer[] = [];
  let next = 8 + dirBytes;
  dir.writeUInt16LE(tags.length, 0);
  const stripEntry = 2 + tags.findIndex(([tag]) => tag === 273) * 12 + 8;
  tags.forEach(([tag, type, values], i) => {
    const at = 2 + i * 12;
    dir.writeUInt16LE(tag, at);
    dir.writeUInt16LE(type, at + 2);
    dir.writeUInt32LE(values.length, at + 4);
    const size = type === 3 ? 2 : 4;
    const data = Buffer.alloc(values.length * size);
    values.forEach((v, k) => (type === 3 ? data.writeUInt16LE(v, k * 2) : data.writeUInt32LE(v, k * 4)));
    if (data.length <= 4) data.copy(dir, at + 8);
    else {
      dir.writeUInt32LE(next, at + 8);
      overflow.push(data);
      next += data.length;
    }
  });
  dir.writeUInt32LE(next, stripEntry);
  return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), dir, ...overflow, strip]);
}

/** The chunks of a PNG, in order (type and data). */
function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  const out = [];
  for (let at = 8; at + 12 <= png.length; at += 12 + png.readUInt32BE(at)) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.toString('ascii', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length) });
  }
  return out;
}

/**
 * An animated PNG whose default image, `still`, is left out of the animation (no fcTL before its IDAT), with one
 * frame of `frame` over the whole canvas: viewers show `frame` only, while a plain PNG decoder sees `still` only.
 * Both must be non-interlaced PNGs of one size, bit depth and colour type (the frame's IDAT data becomes fdAT).
 * `announced` is the frame count its acTL announces (more than 1: frames no decoder here reads after the first).
 */
export function apngHidingDefault(still: Buffer, frame: Buffer, announced = 1): Buffer {
  const ihdr = pngChunks(still)[0]!.data;
  const fcTL = Buffer.alloc(26);
  ihdr.copy(fcTL, 4, 0, 8); // sequence 0, the canvas's width and height, offset 0,0
  fcTL.writeUInt16BE(1, 20); // delay 1/1 s
  fcTL.writeUInt16BE(1, 22);
  const acTL = Buffer.alloc(8);
  acTL.writeUInt32BE(announced, 0); // one frame unless more are announced, looped for ever
  const data = (png: Buffer) => pngChunks(png).filter((c) => c.type === 'IDAT');
  return Buffer.concat([
    still.subarray(0, 8),
    pngChunk('IHDR', ihdr),
    pngChunk('acTL', acTL),
    ...data(still).map((c) => pngChunk('IDAT', c.data)),
    pngChunk('fcTL', fcTL),
    ...data(frame).map((c, k) => {
      const sequence = Buffer.alloc(4);
      sequence.writeUInt32BE(k + 1, 0);
      return pngChunk('fdAT', Buffer.concat([sequence, c.data]));
    }),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * `progressive` (a progressive JPEG) followed by `scans` more scans of a few bytes each: an end-of-band run over every
 * block of the first component (one Huffman table of a single 1-bit code, EOB14), so each costs a decoder a pass over
 * the whole image while the file grows by 31 bytes.
 */
export function jpegWithScans(progressive: Buffer, scans: number): Buffer {
  const sof = progressive.indexOf(Buffer.from([0xff, 0xc2]));
  const [height, width] = [progressive.readUInt16BE(sof + 5), progressive.readUInt16BE(sof + 7)];
  const component = progressive[sof + 10]!;
  const counts = Buffer.alloc(16);
  counts[0] = 1;
  const dht = Buffer.concat([Buffer.from([0xff, 0xc4, 0, 20, 0x11]), counts, Buffer.from([0xe0])]);
  let bits = '';
  for (let left = Math.ceil(width / 8) * Math.ceil(height / 8); left > 0; left -= 32767)
    bits +=
      '0' +
      Math.max(0, Math.min(left, 32767) - 16384)
        .toString(2)
        .padStart(14, '0');
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, '1');
  const data: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    const b = parseInt(bits.slice(i, i + 8), 2);
    data.push(...(b === 0xff ? [0xff, 0] : [b]));
  }
  const scan = Buffer.from([0xff, 0xda, 0, 8, 1, component, 0x01, 1, 63, 0, ...data]);
  const eoi = progressive.lastIndexOf(Buffer.from([0xff, 0xd9]));
  return Buffer.concat([
    progressive.subarray(0, eoi),
    dht,
    ...new Array<Buffer>(scans).fill(scan),
    progressive.subarray(eoi),
  ]);
}
