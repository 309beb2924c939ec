import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassifierError, ClassifierErrorCode, ModelChecksumError } from './errors.js';
import { parseManifest, type ModelManifest, type ModelRef } from './manifest.js';

/** A model folder read from disk whose every file matched its manifest. */
export interface VerifiedModelFiles {
  readonly manifest: ModelManifest;
  readonly ref: ModelRef;
  /** File name -> bytes, exactly the files the manifest lists. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readOrMissing(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ClassifierError(ClassifierErrorCode.MODEL_MISSING, `${what} ${path} cannot be read`, { cause });
  }
}

/**
 * Reads `<dir>/manifest.json` and every file it lists, and checks each file's size and SHA-256.
 * Only the local file system is touched: models are never fetched. A changed file fails with
 * MOD_ERR_CLASSIFIER_CHECKSUM, a missing one with MOD_ERR_CLASSIFIER_MODEL_MISSING.
 */
export async function readVerifiedModel(dir: string, expectedId?: string): Promise<VerifiedModelFiles> {
  const manifestBytes = await readOrMissing(join(dir, 'manifest.json'), 'model manifest');
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch (cause) {
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `manifest ${dir}/manifest.json is not JSON`,
      { cause },
    );
  }
  const manifest = parseManifest(json);
  if (expectedId !== undefined && manifest.id !== expectedId) {
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `manifest in ${dir} is for model "${manifest.id}", expected "${expectedId}"`,
    );
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const bytes = await readOrMissing(join(dir, entry.path), 'model file');
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256 || bytes.byteLength !== entry.bytes) {
      throw new ModelChecksumError(join(dir, entry.path), entry.sha256, actual);
    }
    files.set(entry.path, bytes);
  }
  return {
    manifest,
    files,
    ref: { id: manifest.id, version: manifest.version, sha256: sha256Hex(manifestBytes) },
  };
}

/** Parses one JSON file of a verified model (model.json and friends). */
export function verifiedJson(model: VerifiedModelFiles, name: string): unknown {
  const bytes = model.files.get(name);
  if (bytes === undefined) {
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `model ${model.manifest.id}: manifest does not list ${name}`,
    );
  }
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `model ${model.manifest.id}: ${name} is not JSON`,
      { cause },
    );
  }
}
