import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hammingDistanceHex, PDQ_MATCH_DISTANCE } from '@mod/hashing';
import { animationOf } from '@mod/hashing/testing/synthetic-photos';
import { hashCommand } from './hash.js';

const fixtures = fileURLToPath(new URL('../../../hashing/fixtures/', import.meta.url));

async function run(
  argv: string[],
): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await hashCommand.run(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, lines: out.map((l) => JSON.parse(l) as Record<string, unknown>), stderr: err };
}

/** A folder of this file's own under the system's temporary one, removed after its tests. */
const made: string[] = [];
const tempDir = () => {
  made.push(mkdtempSync(join(tmpdir(), 'modctl-hash-')));
  return made.at(-1) as string;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('modctl hash', () => {
  it('prints one JSON object per file with every hash', async () => {
    const file = join(fixtures, 'pdq/pytx/rgb.jpeg');
    const { code, lines } = await run([file]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      file,
      sha256: 'fbd288882a131f442b8b28c55949c1fb90fb0cc133f2e3fd09054a853738684b',
      md5: 'fb60d450cda9f6682978cb3c89c59c77',
      pdq: 'fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda',
      pdqQuality: 100,
      width: 256,
      height: 256,
    });
    expect(Object.keys(lines[0]!)).toEqual([
      'file',
      'bytes',
      'sha256',
      'sha1',
      'md5',
      'pdq',
      'pdqQuality',
      'blockhash',
      'width',
      'height',
    ]);
  });

  it('adds the dihedral hashes with --dihedral and the trimmed hash with --trim', async () => {
    const file = join(fixtures, 'pdq/dih/bridge-1-original.jpg');
    const { lines } = await run(['--dihedral', '--trim', file]);
    expect(lines[0]!['pdqDihedral']).toHaveLength(8);
    expect((lines[0]!['pdqDihedral'] as string[])[0]).toBe(lines[0]!['pdq']);
    expect(lines[0]!['pdqTrimmed']).toBeNull();
  });

  it('prints the hashes of every distinct frame of an animated GIF in a field of its own, after the others', async () => {
    const frames = ['pdq/pen-and-coaster.png', 'pdq/bridge-mods/aaa-orig.jpg'].map((f) =>
      readFileSync(join(fixtures, f)),
    );
    const file = join(tempDir(), 'two-frames.gif');
    writeFileSync(file, await animationOf(frames, { format: 'gif', width: 256, height: 192 }));
    const [gif, still] = (await run([file, join(fixtures, 'pdq/bridge-mods/aaa-orig.jpg')])).lines;
    expect(Object.keys(gif!).at(-1)).toBe('frames');
    const { count, examined, hashed } = gif!['frames'] as {
      count: number;
      examined: number;
      hashed: { index: number; pdq: string; pdqQuality: number; blockhash: string }[];
    };
    expect([count, examined, hashed.map((f) => f.index)]).toEqual([2, 2, [0, 1]]);
    expect(hashed[0]).toEqual({
      index: 0,
      pdq: gif!['pdq'],
      pdqQuality: gif!['pdqQuality'],
      blockhash: gif!['blockhash'],
    });
    // Frame 1 is the listed photo: curators list its PDQ as they would the photo's own.
    expect(hammingDistanceHex(hashed[1]!.pdq, still!['pdq'] as string)).toBeLessThanOrEqual(
      PDQ_MATCH_DISTANCE,
    );
    expect(still).not.toHaveProperty('frames');
  });

  it('decodes every pixel of a 12 MP photo unless --reduced-decode asks for the fast path', async () => {
    const file = join(fixtures, 'pdq/exif-rotn/exif-rotn-1.jpg');
    const full = await run([file]);
    const fast = await run(['--reduced-decode', file]);
    expect(full.lines[0]).not.toHaveProperty('decodeScale');
    expect(fast.lines[0]).toMatchObject({ decodeScale: 4, width: 4032, sha256: full.lines[0]?.sha256 });
  });

  it('reports each failing file as an error line and exits non-zero', async () => {
    const dir = tempDir();
    const text = join(dir, 'not-an-image.jpg');
    writeFileSync(text, 'hello');
    const good = join(fixtures, 'pdq/pytx/rgb.jpeg');
    const { code, lines } = await run([text, good, join(dir, 'missing.png')]);
    expect(code).toBe(1);
    expect(lines.map((l) => l['file'])).toEqual([text, good, join(dir, 'missing.png')]);
    expect(lines[0]!['error']).toMatchObject({ code: 'MOD_ERR_HASH_UNSUPPORTED_FORMAT' });
    expect(lines[1]!['pdq']).toBe('fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda');
    expect(lines[2]!['error']).toMatchObject({ code: 'MOD_ERR_CLI_FILE_UNREADABLE' });
  });

  it('reads no more of a file than an image may be: an endless device or a file of gigabytes is refused as too large', async () => {
    const dir = tempDir();
    // Sparse: 3 GiB long, nothing on disk. Whoever can put files where a curator hashes can also put a symlink.
    const huge = join(dir, 'huge.jpg');
    truncateSync((writeFileSync(huge, ''), huge), 3 * 1024 ** 3);
    const endless = join(dir, 'endless.png');
    symlinkSync('/dev/zero', endless);
    const before = process.memoryUsage().arrayBuffers;
    const { code, lines } = await run([huge, endless, join(fixtures, 'pdq/pytx/rgb.jpeg')]);
    expect(code).toBe(1);
    expect(lines[0]!['error']).toMatchObject({ code: 'MOD_ERR_HASH_TOO_LARGE' });
    expect(lines[1]!['error']).toMatchObject({ code: 'MOD_ERR_HASH_TOO_LARGE' });
    expect(lines[2]!['pdq']).toBe('fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 ** 2);
  });

  it('rejects unknown options and missing files with usage (exit 2)', async () => {
    expect((await run(['--bogus', 'x'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
  });
});
