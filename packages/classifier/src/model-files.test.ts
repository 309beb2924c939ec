import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from './classifier.js';
import { ClassifierErrorCode, ModelChecksumError } from './errors.js';
import { readVerifiedModel } from './model-files.js';

const MODELS_DIR = join(import.meta.dirname, '../../../models');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'classifier-models-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copyModels(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(MODELS_DIR, dir, { recursive: true });
  return dir;
}

describe('model checksums', () => {
  it('verifies the shipped models and identifies them by the manifest digest', async () => {
    const nsfw = await readVerifiedModel(join(MODELS_DIR, 'nsfw-mobilenet-v2'), 'nsfw-mobilenet-v2');
    const face = await readVerifiedModel(join(MODELS_DIR, 'face-age'), 'face-age');
    expect([...nsfw.files.keys()].sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect([...face.files.keys()].sort()).toEqual([
      'blazeface.bin',
      'blazeface.json',
      'faceres.bin',
      'faceres.json',
    ]);
    expect(nsfw.ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(nsfw.ref.sha256).not.toBe(face.ref.sha256);
  });

  it('refuses a weight file with one flipped byte (MOD_ERR_CLASSIFIER_CHECKSUM)', async () => {
    const dir = await copyModels('corrupt');
    const bin = join(dir, 'nsfw-mobilenet-v2', 'group1-shard1of1.bin');
    const bytes = await readFile(bin);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0x01;
    await writeFile(bin, bytes);
    const err = await readVerifiedModel(join(dir, 'nsfw-mobilenet-v2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelChecksumError);
    expect(err).toMatchObject({ code: ClassifierErrorCode.CHECKSUM, retriable: false });
    // The factory refuses it too, before anything is loaded.
    await expect(createClassifier({ modelsDir: dir })).rejects.toMatchObject({
      code: ClassifierErrorCode.CHECKSUM,
    });
  });

  it('refuses a changed face model file', async () => {
    const dir = await copyModels('corrupt-face');
    const json = join(dir, 'face-age', 'faceres.json');
    await writeFile(json, (await readFile(json, 'utf8')).replace('"faceres', '"faceres2'));
    await expect(createClassifier({ modelsDir: dir, backend: 'wasm' })).rejects.toMatchObject({
      code: ClassifierErrorCode.CHECKSUM,
    });
  });

  it('refuses a missing file or manifest (MOD_ERR_CLASSIFIER_MODEL_MISSING)', async () => {
    const dir = await copyModels('missing');
    await unlink(join(dir, 'face-age', 'blazeface.bin'));
    await unlink(join(dir, 'nsfw-mobilenet-v2', 'manifest.json'));
    await expect(readVerifiedModel(join(dir, 'face-age'))).rejects.toMatchObject({
      code: ClassifierErrorCode.MODEL_MISSING,
    });
    await expect(readVerifiedModel(join(dir, 'nsfw-mobilenet-v2'))).rejects.toMatchObject({
      code: ClassifierErrorCode.MODEL_MISSING,
    });
  });

  it('refuses a folder whose manifest names another model', async () => {
    await expect(readVerifiedModel(join(MODELS_DIR, 'face-age'), 'nsfw-mobilenet-v2')).rejects.toMatchObject({
      code: ClassifierErrorCode.MODEL_INVALID,
    });
  });
});
