import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from './backend.js';
import { fuseGraphModel } from './graph-fuse.js';
import { readVerifiedModel } from './model-files.js';
import { modelArtifacts } from './tf-artifacts.js';

const FACE_DIR = join(import.meta.dirname, '../../../models/face-age');

describe('fuseGraphModel', () => {
  beforeAll(async () => {
    await ensureBackend({ preference: 'wasm' });
  });

  it('fuses every conv/bias/relu6 chain of FaceRes and keeps its outputs', async () => {
    const original = modelArtifacts(await readVerifiedModel(FACE_DIR), 'faceres.json');
    const { artifacts, fusedChains } = await fuseGraphModel(original);
    expect(fusedChains).toBe(27);
    const ops = (artifacts.modelTopology as { node: { op: string }[] }).node.map((n) => n.op);
    for (const gone of ['Conv2D', 'DepthwiseConv2dNative', 'Minimum', 'Maximum', 'Relu'])
      expect(ops).not.toContain(gone);

    const reference = await tf.loadGraphModel(tf.io.fromMemory(original));
    const fused = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const x = tf.randomUniform([2, 224, 224, 3], 0, 255, 'float32', 11);
    const a = reference.execute(x) as tf.Tensor[];
    const b = fused.execute(x) as tf.Tensor[];
    expect(b.map((t) => t.shape)).toEqual(a.map((t) => t.shape));
    for (let i = 0; i < a.length; i++) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a[i] as tf.Tensor, b[i] as tf.Tensor))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-3);
    }
    tf.dispose([x, ...a, ...b]);
    reference.dispose();
    fused.dispose();
  });
});
