import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from './backend.js';
import { ClassifierErrorCode } from './errors.js';
import { createFusedModel } from './fused-model.js';
import { planKerasModel } from './keras-plan.js';
import { readVerifiedModel } from './model-files.js';
import { prepareImage } from './preprocess.js';
import { modelArtifacts } from './tf-artifacts.js';

const NSFW_DIR = join(import.meta.dirname, '../../../models/nsfw-mobilenet-v2');
const FIXTURES = join(import.meta.dirname, '../fixtures');

describe('planKerasModel', () => {
  it('folds every batch norm, relu and zero padding of MobileNetV2 into its convolution', async () => {
    const json = JSON.parse(await readFile(join(NSFW_DIR, 'model.json'), 'utf8')) as {
      modelTopology: unknown;
    };
    const plan = planKerasModel(json.modelTopology);
    const kinds = plan.steps.map((s) => s.kind);
    expect(plan.inputShape).toEqual([224, 224, 3]);
    expect(kinds).not.toContain('batchnorm');
    expect(kinds).not.toContain('pad');
    expect(kinds).not.toContain('activation');
    const convs = plan.steps.filter((s) => s.kind === 'conv2d' || s.kind === 'depthwise');
    expect(convs).toHaveLength(35 + 17);
    expect(
      convs.every((s) => (s.kind === 'conv2d' || s.kind === 'depthwise') && s.batchNorm !== undefined),
    ).toBe(true);
    expect(plan.output).toBe('dense_3');
  });

  it('refuses a layer type it does not implement', () => {
    const topology = {
      model_config: {
        config: {
          layers: [
            {
              name: 'in',
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 8, 8, 3] },
              inbound_nodes: [],
            },
            { name: 'lstm', class_name: 'LSTM', config: {}, inbound_nodes: [[['in', 0, 0, {}]]] },
          ],
          input_layers: [['in', 0, 0]],
          output_layers: [['lstm', 0, 0]],
        },
      },
    };
    expect(() => planKerasModel(topology)).toThrow(
      expect.objectContaining({ code: ClassifierErrorCode.MODEL_INVALID }) as Error,
    );
  });
});

describe('fused executor', () => {
  beforeAll(async () => {
    await ensureBackend({ preference: 'wasm' });
  });

  it('gives the same probabilities as tfjs-layers on the same weights', async () => {
    const files = await readVerifiedModel(NSFW_DIR);
    const artifacts = modelArtifacts(files, 'model.json');
    const reference = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const weights = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
    const fused = createFusedModel(planKerasModel(artifacts.modelTopology), weights);
    tf.dispose(Object.values(weights));

    const limits = {
      maxInputBytes: 1e8,
      maxInputPixels: 1e8,
      maxDecodedBytes: 2 ** 30,
      decodeTimeoutMs: 60_000,
    };
    const images = await Promise.all(
      ['portrait-painting.jpg', 'sea.jpg', 'face-adult.jpg'].map(async (f) =>
        prepareImage(new Uint8Array(await readFile(join(FIXTURES, f))), 224, undefined, limits),
      ),
    );
    const x = tf.tidy(() => {
      const real = images.map((im) => tf.div(tf.tensor3d(Float32Array.from(im.nsfwRgb), [224, 224, 3]), 255));
      return tf.stack([...real, tf.randomUniform([224, 224, 3], 0, 1, 'float32', 7)]) as tf.Tensor4D;
    });
    const expected = tf.tidy(() => reference.predict(x) as tf.Tensor).arraySync() as number[][];
    const actual = tf.tidy(() => fused.predict(x)).arraySync() as number[][];
    expect(actual).toHaveLength(4);
    for (let i = 0; i < expected.length; i++) {
      for (let k = 0; k < 5; k++) expect(actual[i]?.[k]).toBeCloseTo(expected[i]?.[k] ?? Number.NaN, 4);
    }
    x.dispose();
    fused.dispose();
    reference.dispose();
  });
});
