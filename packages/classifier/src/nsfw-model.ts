import * as tf from '@tensorflow/tfjs';
import { ClassifierError, ClassifierErrorCode } from './errors.js';
import { createFusedModel, type FusedModel } from './fused-model.js';
import { planKerasModel } from './keras-plan.js';
import type { ModelRef } from './manifest.js';
import { readVerifiedModel } from './model-files.js';
import { modelArtifacts } from './tf-artifacts.js';

/** Folder name of the NSFW model under `modelsDir`, and its manifest id. */
export const NSFW_MODEL_ID = 'nsfw-mobilenet-v2';

/** The five nsfwjs classes, in the model's output order. */
export const NSFW_LABELS = ['drawing', 'hentai', 'neutral', 'porn', 'sexy'] as const;
export type NsfwLabel = (typeof NSFW_LABELS)[number];

/** Softmax probabilities of the five classes (they sum to 1). */
export type NsfwScores = Readonly<Record<NsfwLabel, number>>;

export interface NsfwModel {
  readonly ref: ModelRef;
  readonly inputSizePx: number;
  /** Classifies `count` images packed as `count * size * size * 3` RGB bytes, as one batch tensor. */
  classifyBatch(rgb: Uint8Array, count: number): Promise<NsfwScores[]>;
  dispose(): void;
}

/** Which executor runs the Keras model: the folded one (default, ~2x faster) or tfjs-layers (reference). */
export type NsfwExecutor = 'fused' | 'layers';

/** Loads and verifies `<modelsDir>/nsfw-mobilenet-v2` and warms it up with one zero batch. */
export async function loadNsfwModel(dir: string, executor: NsfwExecutor = 'fused'): Promise<NsfwModel> {
  const files = await readVerifiedModel(dir, NSFW_MODEL_ID);
  const artifacts = modelArtifacts(files, 'model.json');
  const plan = planKerasModel(artifacts.modelTopology);
  const [size, width, channels] = plan.inputShape;
  if (size !== width || channels !== 3) {
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `model ${NSFW_MODEL_ID}: input must be square RGB`,
    );
  }
  let model: FusedModel | tf.LayersModel;
  if (executor === 'fused') {
    const weights = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
    try {
      model = createFusedModel(plan, weights);
    } finally {
      tf.dispose(Object.values(weights));
    }
  } else {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  }
  const predict = (x: tf.Tensor4D): tf.Tensor => model.predict(x) as tf.Tensor;
  const outputWidth = tf.tidy(() => predict(tf.zeros([1, size, size, 3])).shape[1]);
  if (outputWidth !== NSFW_LABELS.length) {
    model.dispose();
    throw new ClassifierError(
      ClassifierErrorCode.MODEL_INVALID,
      `model ${NSFW_MODEL_ID}: expected 5 outputs, got ${outputWidth}`,
    );
  }
  const pixels = size * size * 3;
  return {
    ref: files.ref,
    inputSizePx: size,
    async classifyBatch(rgb, count) {
      if (count < 1 || rgb.byteLength !== count * pixels) {
        throw new ClassifierError(
          ClassifierErrorCode.INVALID_ARGUMENT,
          `batch of ${count} needs ${count * pixels} bytes`,
        );
      }
      // nsfwjs preprocessing: RGB scaled to [0, 1].
      const input = new Float32Array(rgb.length);
      for (let i = 0; i < rgb.length; i++) input[i] = (rgb[i] as number) / 255;
      const x = tf.tensor4d(input, [count, size, size, 3]);
      let y: tf.Tensor | undefined;
      try {
        y = predict(x);
        const out = await y.data();
        const scores: NsfwScores[] = [];
        for (let i = 0; i < count; i++) {
          const row = out.subarray(i * 5, i * 5 + 5);
          scores.push({
            drawing: row[0] ?? 0,
            hentai: row[1] ?? 0,
            neutral: row[2] ?? 0,
            porn: row[3] ?? 0,
            sexy: row[4] ?? 0,
          });
        }
        return scores;
      } finally {
        x.dispose();
        y?.dispose();
      }
    },
    dispose() {
      model.dispose();
    },
  };
}
