import { open } from 'node:fs/promises';
import { defaultDecodeLimits, HashingError, HashingErrorCode } from '@mod/hashing';
import { hashMedia, recommendedReducedDecode } from '@mod/hashing/decode';
import type { MediaHashes } from '@mod/hashing';
import { usageError, type Command, type CommandIo } from '../command.js';

const USAGE = [
  'usage: modctl hash [--dihedral] [--trim] [--reduced-decode] [--] FILE...',
  'prints one JSON line per file, in argument order: its hashes, or its error ({"file":...,"error":{...}}).',
  '--dihedral adds the PDQ hashes of the 8 rotations and flips; --trim the PDQ hash with uniform borders cut',
  'off (null when there are none);',
  '--reduced-decode decodes large JPEGs at a reduced scale (then reports decodeScale).',
  'a file of several frames (animated GIF, WebP; multi-page TIFF) also gets "frames": {count, examined, hashed:',
  '[{index, pdq, pdqQuality, blockhash}...]}, the perceptual hashes of each distinct frame hashed (the top-level',
  "ones are frame 0's, the exact ones the file's; examined < count: the frames after were not hashed).",
  'exit codes: 0 every file hashed; 1 a file failed (its line carries the error); 2 usage',
].join('\n');

/**
 * One output line: the hashes of a file, in a fixed key order, or its error. A key whose value is undefined is
 * left out (JSON has no undefined): the dihedral and trimmed hashes unless asked for, the scale of a full decode, the
 * frames of a still image. A multi-frame file's `frames` come last, so lines of still images are as they were.
 */
function toLine(file: string, h: MediaHashes): string {
  return JSON.stringify({
    file,
    bytes: h.bytes,
    sha256: h.sha256,
    sha1: h.sha1,
    md5: h.md5,
    pdq: h.pdq,
    pdqQuality: h.pdqQuality,
    pdqDihedral: h.pdqDihedral,
    pdqTrimmed: h.pdqTrimmed,
    blockhash: h.blockhash,
    width: h.width,
    height: h.height,
    decodeScale: h.decodeScale === 1 ? undefined : h.decodeScale,
    frames: h.frames,
  });
}

/**
 * The bytes of `file`, read 1 MiB at a time up to the most an image may be (`defaultDecodeLimits.maxBytes`, the
 * decoder's own bound): a larger file, or an endless one (a symlink to /dev/zero), is MOD_ERR_HASH_TOO_LARGE
 * without reading it whole.
 */
async function readImageFile(file: string): Promise<Buffer> {
  const max = defaultDecodeLimits.maxBytes;
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, max + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max)
        throw new HashingError(
          HashingErrorCode.TOO_LARGE,
          `the file is larger than the limit of ${max} bytes`,
        );
    }
  } finally {
    await handle.close();
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof HashingError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ENOENT', 'EISDIR', 'EACCES'].includes(code)) {
    return { code: 'MOD_ERR_CLI_FILE_UNREADABLE', message: err instanceof Error ? err.message : String(err) };
  }
  return { code: 'MOD_ERR_CLI_UNEXPECTED', message: err instanceof Error ? err.message : String(err) };
}

/**
 * `modctl hash [--dihedral] [--trim] [--reduced-decode] <file...>`: one JSON object per line per file, in argument
 * order; exit code 1 if any file failed, 2 on a usage error. Every pixel is decoded, as the reference tools do
 * (curators build lists with this command); `--reduced-decode` decodes large JPEGs at a reduced scale
 * (`recommendedReducedDecode`: shorter side kept ≥ 600 px, as `HASH_REDUCED_DECODE_MIN_SIDE=600` does in the
 * scanner) and then reports `decodeScale`.
 */
export async function runHash(argv: readonly string[], io: CommandIo): Promise<number> {
  let dihedral = false;
  let trim = false;
  let reduced = false;
  const files: string[] = [];
  let onlyFiles = false;
  for (const arg of argv) {
    if (!onlyFiles && arg === '--') onlyFiles = true;
    else if (!onlyFiles && arg === '--dihedral') dihedral = true;
    else if (!onlyFiles && arg === '--trim') trim = true;
    else if (!onlyFiles && arg === '--reduced-decode') reduced = true;
    else if (!onlyFiles && arg.startsWith('-')) return usageError(io, USAGE, `unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0) return usageError(io, USAGE, 'no file');
  let failed = 0;
  for (const file of files) {
    try {
      const bytes = await readImageFile(file);
      const hashes = await hashMedia(bytes, {
        dihedral,
        trim,
        reducedDecode: reduced ? recommendedReducedDecode : false,
      });
      io.stdout(toLine(file, hashes));
    } catch (err) {
      failed++;
      io.stdout(JSON.stringify({ file, error: errorOf(err) }));
    }
  }
  return failed === 0 ? 0 : 1;
}

export const hashCommand: Command = {
  name: 'hash',
  summary: 'print exact, PDQ and blockhash hashes of image files as JSON lines',
  usage: USAGE,
  run: runHash,
};
