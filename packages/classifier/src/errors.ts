import { ModError } from '@mod/contracts';

/**
 * Stable error codes of `@mod/classifier` (documented in the package README; never reuse a retired code).
 * Only `BACKEND_UNAVAILABLE` and `WORKER_START_FAILED` are retriable: everything else is bad input or a bad deployment.
 */
export const ClassifierErrorCode = {
  /** A model file's SHA-256 differs from its manifest: the model was changed or corrupted. */
  CHECKSUM: 'MOD_ERR_CLASSIFIER_CHECKSUM',
  /** A model folder, its manifest.json or a file the manifest lists is missing or unreadable. */
  MODEL_MISSING: 'MOD_ERR_CLASSIFIER_MODEL_MISSING',
  /** manifest.json or model.json is not what this package can load (shape, format, layer types). */
  MODEL_INVALID: 'MOD_ERR_CLASSIFIER_MODEL_INVALID',
  /** No TensorFlow.js backend could be initialised (retriable: may be a transient resource problem). */
  BACKEND_UNAVAILABLE: 'MOD_ERR_CLASSIFIER_BACKEND_UNAVAILABLE',
  /** The bytes are not a decodable image (or the decoded RGB description is inconsistent). */
  DECODE: 'MOD_ERR_CLASSIFIER_DECODE',
  /** The image exceeds the byte or pixel limit. */
  TOO_LARGE: 'MOD_ERR_CLASSIFIER_TOO_LARGE',
  /** The header says decoding would hold more than `maxDecodedBytes` (the scanner's check, from `@mod/hashing`). */
  TOO_MANY_DECODED_BYTES: 'MOD_ERR_CLASSIFIER_TOO_MANY_DECODED_BYTES',
  /**
   * Decoding took longer than `decodeTimeoutMs`. Not retriable: the scanner decoded the same bytes within its own
   * limit, so this image is slow here every time, and a retry would hold its partition forever (dead-lettered).
   */
  DECODE_TIMEOUT: 'MOD_ERR_CLASSIFIER_DECODE_TIMEOUT',
  /** Options, thresholds or task input out of range or of the wrong type. */
  INVALID_ARGUMENT: 'MOD_ERR_CLASSIFIER_INVALID_ARGUMENT',
  /** The classifier was used after `dispose()`. */
  DISPOSED: 'MOD_ERR_CLASSIFIER_DISPOSED',
  /**
   * A worker of the service's pool ended without answering (its heap past the pool's limit, an exit) on this content
   * alone, twice, the pool classifying other media after each (`MAX_WORKER_CRASHES` of `@mod/hashing`); dead-lettered.
   */
  WORKER_CRASHED: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED',
  /**
   * Raised by the service's pool, not the task: a worker of the pool could not start (its module threw at load, its
   * heap limit exceeded at start; `guardPoolErrors` of `@mod/hashing`), so the media waiting was failed. Retriable:
   * the deployment's or the machine's fault, never the content's.
   */
  WORKER_START_FAILED: 'MOD_ERR_CLASSIFIER_WORKER_START_FAILED',
  /** Inference failed for a reason that is neither input nor model (a bug); reported, never thrown from the task. */
  INTERNAL: 'MOD_ERR_CLASSIFIER_INTERNAL',
} as const;

export type ClassifierErrorCode = (typeof ClassifierErrorCode)[keyof typeof ClassifierErrorCode];

/** Any error this package raises on purpose. */
export class ClassifierError extends ModError {
  declare readonly code: ClassifierErrorCode;
  constructor(
    code: ClassifierErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** A model file does not match the SHA-256 its manifest pins. */
export class ModelChecksumError extends ClassifierError {
  readonly file: string;
  readonly expectedSha256: string;
  readonly actualSha256: string;
  constructor(file: string, expectedSha256: string, actualSha256: string) {
    super(
      ClassifierErrorCode.CHECKSUM,
      `model file ${file}: sha256 ${actualSha256} does not match manifest ${expectedSha256}`,
    );
    this.file = file;
    this.expectedSha256 = expectedSha256;
    this.actualSha256 = actualSha256;
  }
}

/** Turns anything thrown into a ClassifierError (unknown errors become INTERNAL). */
export function toClassifierError(err: unknown): ClassifierError {
  if (err instanceof ClassifierError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClassifierError(ClassifierErrorCode.INTERNAL, message, { cause: err });
}
