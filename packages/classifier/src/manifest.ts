import { ClassifierError, ClassifierErrorCode } from './errors.js';

/** One file a model consists of, pinned by its SHA-256. */
export interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The parsed `manifest.json` of a model folder (written by scripts/extract-models.cjs). */
export interface ModelManifest {
  readonly id: string;
  readonly version: string;
  readonly format: string;
  readonly licence: string;
  readonly source: string;
  readonly files: readonly ManifestFile[];
}

/** A model's identity as it is stored next to every decision: id, version and the manifest's SHA-256. */
export interface ModelRef {
  readonly id: string;
  readonly version: string;
  /** SHA-256 of manifest.json, which in turn pins the SHA-256 of every model file. */
  readonly sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
// A manifest names plain files inside its own folder: no separators, no parent references.
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function invalid(message: string): ClassifierError {
  return new ClassifierError(ClassifierErrorCode.MODEL_INVALID, `manifest: ${message}`);
}

function requireString(obj: Record<string, unknown>, key: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`"${key}" must be a non-empty string`);
  return value;
}

/** Validates the plain JSON of a manifest; throws MOD_ERR_CLASSIFIER_MODEL_INVALID naming the first problem. */
export function parseManifest(json: unknown): ModelManifest {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalid('must be a JSON object');
  const obj = json as Record<string, unknown>;
  const filesRaw = obj['files'];
  if (!Array.isArray(filesRaw) || filesRaw.length === 0) throw invalid('"files" must be a non-empty array');
  const seen = new Set<string>();
  const files = filesRaw.map((entry: unknown, i): ManifestFile => {
    if (typeof entry !== 'object' || entry === null) throw invalid(`files[${i}] must be an object`);
    const e = entry as Record<string, unknown>;
    const path = e['path'];
    const bytes = e['bytes'];
    const sha256 = e['sha256'];
    if (typeof path !== 'string' || !SAFE_FILE_NAME.test(path))
      throw invalid(`files[${i}].path is not a plain file name`);
    if (seen.has(path)) throw invalid(`files[${i}].path ${path} is listed twice`);
    seen.add(path);
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
      throw invalid(`files[${i}].bytes must be a non-negative integer`);
    }
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
      throw invalid(`files[${i}].sha256 must be 64 hex digits`);
    return { path, bytes, sha256 };
  });
  return {
    id: requireString(obj, 'id'),
    version: requireString(obj, 'version'),
    format: requireString(obj, 'format'),
    licence: requireString(obj, 'licence'),
    source: requireString(obj, 'source'),
    files,
  };
}
