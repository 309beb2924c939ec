import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClassifyTaskInput, ClassifyTaskOutput, ClassifyWorkerData } from './classify-task-types.js';
import { ClassifierErrorCode } from './errors.js';

// Piscina loads the compiled task file (build first), exactly as the scanner will.
const TASK = fileURLToPath(new URL('../dist/classify-task.js', import.meta.url));
const MODELS_DIR = join(import.meta.dirname, '../../../models');
const FIXTURES = join(import.meta.dirname, '../fixtures');

const pools: Piscina[] = [];
function pool(workerData: ClassifyWorkerData): Piscina<ClassifyTaskInput, ClassifyTaskOutput> {
  const p = new Piscina<ClassifyTaskInput, ClassifyTaskOutput>({
    filename: TASK,
    minThreads: 1,
    maxThreads: 1,
    workerData,
  });
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

async function buffer(name: string): Promise<ArrayBuffer> {
  const b = await readFile(join(FIXTURES, name));
  return new Uint8Array(b).buffer;
}

describe('classify task in a piscina pool', () => {
  it('classifies moved buffers and reports bad ones as typed failures', async () => {
    const p = pool({ modelsDir: MODELS_DIR });
    const images = [
      await buffer('sea.jpg'),
      new Uint8Array([1, 2, 3]).buffer,
      await buffer('face-adult.jpg'),
    ];
    const out = await p.run({ images }, { transferList: images });
    expect(images[0]?.byteLength).toBe(0); // moved, not copied
    if (!out.ok) throw new Error(JSON.stringify(out.error));
    expect(out.backend).toBe('wasm');
    expect(out.modelVersions.map((m) => m.id)).toEqual(['nsfw-mobilenet-v2', 'face-age']);
    expect(out.results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'ok',
      ClassifierErrorCode.DECODE,
      'ok',
    ]);
    const face = out.results[2];
    expect(face?.ok && face.faces?.length).toBe(1);

    // The same worker answers a malformed task without throwing.
    const bad = await p.run({ images: ['not a buffer'] } as unknown as ClassifyTaskInput);
    expect(bad).toMatchObject({ ok: false, error: { code: ClassifierErrorCode.INVALID_ARGUMENT } });
  });

  it('answers with MOD_ERR_CLASSIFIER_CHECKSUM when a worker finds a corrupted model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classifier-task-'));
    try {
      await cp(MODELS_DIR, dir, { recursive: true });
      const bin = join(dir, 'face-age', 'faceres.bin');
      const bytes = await readFile(bin);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      await writeFile(bin, bytes);
      const out = await pool({ modelsDir: dir }).run({ images: [await buffer('sea.jpg')] });
      expect(out).toMatchObject({
        ok: false,
        error: { code: ClassifierErrorCode.CHECKSUM, retriable: false },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
