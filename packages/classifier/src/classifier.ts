import { join } from 'node:path';
import { defaultDecodeLimits, defaultMaxHashedFrames } from '@mod/hashing';
import { ensureBackend, type BackendInfo, type BackendPreference } from './backend.js';
import { ClassifierError, ClassifierErrorCode, toClassifierError } from './errors.js';
import {
  FACE_MODEL_ID,
  loadFaceAgeModel,
  type FaceAgeModel,
  type FaceEstimate,
  type FaceOptions,
} from './face-model.js';
import {
  laterFrameWorkingCopy,
  scoreLaterFrames,
  type FramesUnexamined,
  type LaterFrames,
} from './frame-scores.js';
import type { ModelRef } from './manifest.js';
import {
  NSFW_MODEL_ID,
  loadNsfwModel,
  type NsfwExecutor,
  type NsfwModel,
  type NsfwScores,
} from './nsfw-model.js';
import {
  decodeWorkingCopy,
  isRgbImage,
  prepareImage,
  type DecodeLimits,
  type ImageInput,
  type PreparedImage,
  type RgbImage,
} from './preprocess.js';

export interface ClassifierOptions {
  /** Folder holding `nsfw-mobilenet-v2/` and `face-age/` (the repository's `models/`). */
  readonly modelsDir: string;
  /** Default `auto`: tfjs-node where it loads, else wasm. Process-wide (per worker thread). */
  readonly backend?: BackendPreference;
  /** XNNPACK threads for wasm; default 1 (one classifier per core). */
  readonly wasmThreads?: number;
  /** Images per inference call; default 8 (1..64). Larger batches run faster per image but need more memory. */
  readonly batchSize?: number;
  /**
   * Distinct frames of a multi-frame file (animated GIF or WebP, multi-page TIFF) scored at most, frame 0 included,
   * chosen as the scanner chooses the frames it hashes; default the scanner's (`defaultMaxHashedFrames`, 128). 1
   * scores the first frame only. Frames past them are counted in `frames` of the result, not scored.
   */
  readonly maxFrames?: number;
  /** Load and run the face detector + age model; default true. */
  readonly faces?: boolean;
  /**
   * Run the face model only when porn + hentai + sexy reaches this; default 0 (every image, complete
   * evidence). `safeFaceGate(riskThresholds)` gives the highest value that can never change a review
   * decision; it skips the face model (most of the per-image cost) on clearly neutral images.
   */
  readonly faceMinSexualProbability?: number;
  /** Apparent age below which a face counts as a minor; default 18 years. */
  readonly minorAgeThresholdYears?: number;
  /** `apparentMinor.flagged` when the minor probability reaches this; default 0.5. */
  readonly minorProbabilityThreshold?: number;
  /** Face detector confidence needed; default 0.6. */
  readonly minFaceConfidence?: number;
  /** Faces evaluated per image; default 10. */
  readonly maxFaces?: number;
  /** Faces smaller than this (working-image pixels) are skipped; default 24. */
  readonly minFaceSidePx?: number;
  /** Longer side of the copy faces are searched in; default 1024. */
  readonly faceWorkingMaxSidePx?: number;
  /** Default 64 MiB. */
  readonly maxInputBytes?: number;
  /** Default 100 million pixels. */
  readonly maxInputPixels?: number;
  /**
   * Most memory one decode may hold, estimated from the header before decoding (`@mod/hashing`'s check, the
   * scanner's); default `defaultDecodeLimits.maxDecodedBytes` (512 MiB). Keep threads × this within the memory.
   */
  readonly maxDecodedBytes?: number;
  /** Wall-clock budget of one decode, in ms; default the scanner's (`defaultDecodeLimits.timeoutMs`, 10 s). */
  readonly decodeTimeoutMs?: number;
  /** `fused` (default) runs the NSFW model with batch norms folded; `layers` runs tfjs-layers (reference). */
  readonly nsfwExecutor?: NsfwExecutor;
}

/** The apparent-minor signal of one image. */
export interface ApparentMinor {
  /** Highest minor probability over the faces found; 0 when no face was found or faces were not evaluated. */
  readonly probability: number;
  readonly flagged: boolean;
  readonly ageThresholdYears: number;
  readonly probabilityThreshold: number;
  /** False when the face model did not run for this image (disabled, or below `faceMinSexualProbability`). */
  readonly facesEvaluated: boolean;
}

/** What the classifier concluded about one later frame of a multi-frame file, as about the first. */
export interface FrameClassification {
  /** The frame, from 0. */
  readonly index: number;
  readonly nsfw: NsfwScores;
  readonly faces: readonly FaceEstimate[] | null;
  readonly apparentMinor: ApparentMinor;
}

/** The frames of a multi-frame file and what was scored of them (the result's own scores are frame 0's). */
export interface ClassifiedFrames {
  /** Frames in the file. */
  readonly count: number;
  /** Leading frames looked at: frames 0 to `examined − 1`; below `count` when some were not. */
  readonly examined: number;
  /** Every distinct frame after the first among those examined, in order. */
  readonly later: readonly FrameClassification[];
  /** Why frames `examined` to `count − 1` were not scored; absent when every frame was. */
  readonly unexamined?: FramesUnexamined;
}

/** Everything the classifier concluded about one image: plain data, stored as the evidence of a decision. */
export interface Classification {
  readonly ok: true;
  readonly nsfw: NsfwScores;
  /** Null when the face model did not run for this image. */
  readonly faces: readonly FaceEstimate[] | null;
  readonly apparentMinor: ApparentMinor;
  readonly image: { readonly width: number; readonly height: number };
  /** Models that produced this result (id, version, manifest SHA-256). */
  readonly models: readonly ModelRef[];
  readonly backend: BackendInfo['name'];
  /** Present for a file of more than one frame: its later frames' results (the fields above are frame 0's). */
  readonly frames?: ClassifiedFrames;
}

/** An image that could not be classified (bad input); the rest of the batch is unaffected. */
export interface ClassificationFailure {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean };
}

export type ClassifierResult = Classification | ClassificationFailure;

export interface Classifier {
  /** One result per input, in order. Bad inputs give `ok: false` results; rejects only after dispose or for a non-array. */
  classify(images: readonly ImageInput[]): Promise<ClassifierResult[]>;
  readonly modelVersions: readonly ModelRef[];
  readonly backend: BackendInfo;
  /** Milliseconds spent verifying and loading the models. */
  readonly loadMs: number;
  dispose(): void;
}

interface ResolvedOptions {
  readonly batchSize: number;
  readonly maxFrames: number;
  readonly faces: boolean;
  readonly faceMinSexualProbability: number;
  readonly minorProbabilityThreshold: number;
  readonly faceWorkingMaxSidePx: number;
  readonly limits: DecodeLimits;
  readonly face: FaceOptions;
}

function option(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  const v = value ?? fallback;
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < min ||
    v > max ||
    (integer && !Number.isInteger(v))
  ) {
    throw new ClassifierError(
      ClassifierErrorCode.INVALID_ARGUMENT,
      `${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`,
    );
  }
  return v;
}

/** Validates options and fills defaults; throws MOD_ERR_CLASSIFIER_INVALID_ARGUMENT naming the option. */
export function resolveClassifierOptions(o: ClassifierOptions): ResolvedOptions {
  if (typeof o.modelsDir !== 'string' || o.modelsDir.length === 0) {
    throw new ClassifierError(ClassifierErrorCode.INVALID_ARGUMENT, 'modelsDir must be a non-empty path');
  }
  return {
    batchSize: option('batchSize', o.batchSize, 8, 1, 64, true),
    maxFrames: option('maxFrames', o.maxFrames, defaultMaxHashedFrames, 1, 10_000, true),
    faces: o.faces ?? true,
    faceMinSexualProbability: option('faceMinSexualProbability', o.faceMinSexualProbability, 0, 0, 1, false),
    minorProbabilityThreshold: option(
      'minorProbabilityThreshold',
      o.minorProbabilityThreshold,
      0.5,
      0,
      1,
      false,
    ),
    faceWorkingMaxSidePx: option('faceWorkingMaxSidePx', o.faceWorkingMaxSidePx, 1024, 64, 8192, true),
    limits: {
      maxInputBytes: option('maxInputBytes', o.maxInputBytes, 64 * 1024 * 1024, 1, 2 ** 31, true),
      maxInputPixels: option('maxInputPixels', o.maxInputPixels, 100_000_000, 1, 2 ** 31, true),
      maxDecodedBytes: option(
        'maxDecodedBytes',
        o.maxDecodedBytes,
        defaultDecodeLimits.maxDecodedBytes,
        1,
        2 ** 40,
        true,
      ),
      decodeTimeoutMs: option(
        'decodeTimeoutMs',
        o.decodeTimeoutMs,
        defaultDecodeLimits.timeoutMs,
        1,
        10 * 60 * 1000,
        true,
      ),
    },
    face: {
      minConfidence: option('minFaceConfidence', o.minFaceConfidence, 0.6, 0, 1, false),
      iouThreshold: 0.3,
      maxFaces: option('maxFaces', o.maxFaces, 10, 1, 100, true),
      minFaceSidePx: option('minFaceSidePx', o.minFaceSidePx, 24, 1, 8192, false),
      ageThresholdYears: option('minorAgeThresholdYears', o.minorAgeThresholdYears, 18, 1, 99, true),
    },
  };
}

function failure(err: unknown): ClassificationFailure {
  const e = toClassifierError(err);
  return { ok: false, error: { code: e.code, message: e.message, retriable: e.retriable } };
}

/**
 * Verifies and loads the models from disk (never from the network), selects the backend, and returns a
 * classifier for media that matched no hash list. Its results feed `riskScore`, which decides on review.
 */
export async function createClassifier(options: ClassifierOptions): Promise<Classifier> {
  const opts = resolveClassifierOptions(options);
  const started = performance.now();
  const backend = await ensureBackend({
    ...(options.backend === undefined ? {} : { preference: options.backend }),
    ...(options.wasmThreads === undefined ? {} : { wasmThreads: options.wasmThreads }),
  });
  const nsfw: NsfwModel = await loadNsfwModel(join(options.modelsDir, NSFW_MODEL_ID), options.nsfwExecutor);
  let faceModel: FaceAgeModel | undefined;
  try {
    faceModel = opts.faces ? await loadFaceAgeModel(join(options.modelsDir, FACE_MODEL_ID)) : undefined;
  } catch (err) {
    nsfw.dispose();
    throw err;
  }
  const loadMs = performance.now() - started;
  const modelVersions = faceModel === undefined ? [nsfw.ref] : [nsfw.ref, faceModel.ref];
  let disposed = false;

  /** Faces (when the gate lets them be looked for) and the apparent-minor signal of one frame's scores. */
  async function judge(
    scores: NsfwScores,
    working: () => Promise<RgbImage>,
  ): Promise<Pick<Classification, 'faces' | 'apparentMinor'>> {
    const sexual = scores.porn + scores.hentai + scores.sexy;
    let faces: FaceEstimate[] | null = null;
    if (faceModel !== undefined && sexual >= opts.faceMinSexualProbability)
      faces = await faceModel.estimate(await working(), opts.face);
    const probability = faces === null ? 0 : faces.reduce((m, f) => Math.max(m, f.minorProbability), 0);
    return {
      faces,
      apparentMinor: {
        probability,
        flagged: faces !== null && faces.length > 0 && probability >= opts.minorProbabilityThreshold,
        ageThresholdYears: opts.face.ageThresholdYears,
        probabilityThreshold: opts.minorProbabilityThreshold,
        facesEvaluated: faces !== null,
      },
    };
  }

  async function finish(
    input: ImageInput,
    prepared: PreparedImage,
    scores: NsfwScores,
  ): Promise<Classification> {
    // With a gate the first decode went straight to the NSFW size; decode the working copy only now.
    const judged = await judge(
      scores,
      async () =>
        prepared.working ?? (await decodeWorkingCopy(input, opts.faceWorkingMaxSidePx, opts.limits)),
    );
    const frames =
      prepared.frames > 1 && !isRgbImage(input) ? await laterFrames(input, prepared.frames) : undefined;
    const faced = judged.faces !== null || (frames?.later.some((f) => f.faces !== null) ?? false);
    return {
      ok: true,
      nsfw: scores,
      ...judged,
      image: { width: prepared.width, height: prepared.height },
      models: faced && faceModel !== undefined ? [nsfw.ref, faceModel.ref] : [nsfw.ref],
      backend: backend.name,
      ...(frames === undefined ? {} : { frames }),
    };
  }

  /** The later frames of a multi-frame file: scored in batches as the scanner's walk reaches them, then judged. */
  async function laterFrames(input: Uint8Array, count: number): Promise<ClassifiedFrames> {
    const scored: LaterFrames = await scoreLaterFrames(input, count, {
      sizePx: nsfw.inputSizePx,
      limits: opts.limits,
      maxFrames: opts.maxFrames,
      batchSize: opts.batchSize,
      score: (packed, n) => nsfw.classifyBatch(packed, n),
    });
    const later: FrameClassification[] = [];
    for (const f of scored.later) {
      const working = () =>
        laterFrameWorkingCopy(input, f.index, scored.orientation, opts.faceWorkingMaxSidePx, opts.limits);
      later.push({ index: f.index, nsfw: f.nsfw, ...(await judge(f.nsfw, working)) });
    }
    return {
      count: scored.count,
      examined: scored.examined,
      later,
      ...(scored.unexamined === undefined ? {} : { unexamined: scored.unexamined }),
    };
  }

  return {
    modelVersions,
    backend,
    loadMs,
    async classify(images) {
      if (disposed) throw new ClassifierError(ClassifierErrorCode.DISPOSED, 'classifier is disposed');
      if (!Array.isArray(images))
        throw new ClassifierError(ClassifierErrorCode.INVALID_ARGUMENT, 'images must be an array');
      const results: ClassifierResult[] = new Array<ClassifierResult>(images.length);
      const size = nsfw.inputSizePx;
      const pixels = size * size * 3;
      for (let start = 0; start < images.length; start += opts.batchSize) {
        const slice = images.slice(start, start + opts.batchSize);
        const prepared: { index: number; input: ImageInput; image: PreparedImage }[] = [];
        // Decode the face model's working copy up front only when every image will need it.
        const workingSide =
          faceModel === undefined || opts.faceMinSexualProbability > 0
            ? undefined
            : opts.faceWorkingMaxSidePx;
        for (let i = 0; i < slice.length; i++) {
          try {
            const input = slice[i] as ImageInput;
            const image = await prepareImage(input, size, workingSide, opts.limits);
            prepared.push({ index: start + i, input, image });
          } catch (err) {
            results[start + i] = failure(err);
          }
        }
        if (prepared.length === 0) continue;
        const packed = new Uint8Array(prepared.length * pixels);
        prepared.forEach((p, i) => packed.set(p.image.nsfwRgb, i * pixels));
        const scores = await nsfw.classifyBatch(packed, prepared.length);
        for (let i = 0; i < prepared.length; i++) {
          const p = prepared[i] as { index: number; input: ImageInput; image: PreparedImage };
          try {
            results[p.index] = await finish(p.input, p.image, scores[i] as NsfwScores);
          } catch (err) {
            results[p.index] = failure(err);
          }
        }
      }
      return results;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      nsfw.dispose();
      faceModel?.dispose();
    },
  };
}
