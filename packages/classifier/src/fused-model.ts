import * as tf from '@tensorflow/tfjs';
import { ClassifierError, ClassifierErrorCode } from './errors.js';
import type { BatchNormRef, KerasPlan, PlanStep } from './keras-plan.js';

/** A compiled Keras model: weights folded once, one forward pass per call. */
export interface FusedModel {
  readonly inputShape: readonly [number, number, number];
  /** Runs a [batch, h, w, c] float batch; returns the output tensor (caller disposes). */
  predict(batch: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

interface Prepared {
  readonly step: PlanStep;
  readonly filter?: tf.Tensor4D;
  readonly bias?: tf.Tensor1D | undefined;
  readonly matrix?: tf.Tensor2D;
  readonly scale?: tf.Tensor1D;
  readonly offset?: tf.Tensor1D;
}

function weight(weights: tf.NamedTensorMap, name: string): tf.Tensor {
  const t = weights[name];
  if (t === undefined)
    throw new ClassifierError(ClassifierErrorCode.MODEL_INVALID, `keras model: weight ${name} missing`);
  return t;
}

/** y = x*scale + offset, the inference form of batch normalisation. */
function bnScaleOffset(
  weights: tf.NamedTensorMap,
  bn: BatchNormRef,
): { scale: tf.Tensor1D; offset: tf.Tensor1D } {
  return tf.tidy(() => {
    const variance = weight(weights, bn.movingVariance) as tf.Tensor1D;
    const mean = weight(weights, bn.movingMean) as tf.Tensor1D;
    const gamma = bn.gamma === undefined ? tf.onesLike(variance) : (weight(weights, bn.gamma) as tf.Tensor1D);
    const beta = bn.beta === undefined ? tf.zerosLike(variance) : (weight(weights, bn.beta) as tf.Tensor1D);
    const scale: tf.Tensor1D = tf.mul(gamma, tf.rsqrt(tf.add(variance, bn.epsilon)));
    const offset: tf.Tensor1D = tf.sub(beta, tf.mul(mean, scale));
    return { scale, offset };
  });
}

function prepare(step: PlanStep, weights: tf.NamedTensorMap): Prepared {
  if (step.kind === 'conv2d' || step.kind === 'depthwise') {
    const [filter, bias] = tf.tidy((): tf.Tensor[] => {
      const kernel = weight(weights, step.kernel) as tf.Tensor4D;
      const channels = step.kind === 'depthwise' ? kernel.shape[2] : kernel.shape[3];
      const b =
        step.bias === undefined
          ? tf.zeros<tf.Rank.R1>([channels])
          : (weight(weights, step.bias) as tf.Tensor1D);
      if (step.batchNorm === undefined) return [tf.clone(kernel), tf.clone(b)];
      // BN(conv(x) + b) = conv(x) * s + (b * s + offset): fold s into the output channels of the kernel.
      const { scale, offset } = bnScaleOffset(weights, step.batchNorm);
      const shape: [number, number, number, number] =
        step.kind === 'depthwise' ? [1, 1, channels, 1] : [1, 1, 1, channels];
      return [tf.mul(kernel, tf.reshape(scale, shape)), tf.add(tf.mul(b, scale), offset)];
    });
    return { step, filter: filter as tf.Tensor4D, bias: bias as tf.Tensor1D };
  }
  if (step.kind === 'batchnorm') {
    const { scale, offset } = bnScaleOffset(weights, step.batchNorm);
    return { step, scale, offset };
  }
  if (step.kind === 'dense') {
    return {
      step,
      matrix: tf.clone(weight(weights, step.kernel)) as tf.Tensor2D,
      bias: step.bias === undefined ? undefined : (tf.clone(weight(weights, step.bias)) as tf.Tensor1D),
    };
  }
  return { step };
}

function run(p: Prepared, inputs: tf.Tensor[]): tf.Tensor {
  const step = p.step;
  const x = inputs[0] as tf.Tensor;
  switch (step.kind) {
    case 'input':
      return x;
    case 'pad':
      return tf.pad(x, [[0, 0], [...step.padding[0]], [...step.padding[1]], [0, 0]]);
    case 'conv2d':
    case 'depthwise': {
      const args = {
        x: x as tf.Tensor4D,
        filter: p.filter as tf.Tensor4D,
        strides: [...step.strides] as [number, number],
        dilations: [...step.dilations] as [number, number],
        pad: (typeof step.padding === 'string' ? step.padding : step.padding.map((d) => [...d])) as
          | 'same'
          | 'valid'
          | [[number, number], [number, number], [number, number], [number, number]],
        bias: p.bias,
        activation: step.activation,
      };
      if (step.kind === 'conv2d') return tf.fused.conv2d(args);
      // fused.depthwiseConv2d's type omits explicit padding, but its kernel (conv_util.computeConv2DInfo)
      // supports it; the equivalence test against tfjs-layers covers this path (MobileNetV2's block pads).
      return tf.fused.depthwiseConv2d(args as unknown as Parameters<typeof tf.fused.depthwiseConv2d>[0]);
    }
    case 'batchnorm':
      return tf.add(tf.mul(x, p.scale as tf.Tensor1D), p.offset as tf.Tensor1D);
    case 'activation':
      if (step.activation === 'relu6') return tf.relu6(x);
      if (step.activation === 'relu') return tf.relu(x);
      if (step.activation === 'softmax') return tf.softmax(x);
      return tf.clone(x); // a new handle, so freeing x later cannot free this step's output
    case 'add':
      return inputs.slice(1).reduce((a, b) => tf.add(a, b), x);
    case 'avgpool':
      return tf.avgPool(
        x as tf.Tensor4D,
        [...step.poolSize] as [number, number],
        [...step.strides] as [number, number],
        step.padding,
      );
    case 'global-avgpool':
      return tf.mean(x, [1, 2]);
    case 'flatten':
      return tf.reshape(x, [x.shape[0] ?? -1, -1]);
    case 'dense': {
      const a = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0] ?? -1, -1]);
      const fusedAct = step.activation === 'softmax' ? 'linear' : step.activation;
      const y = tf.fused.matMul({
        a: a,
        b: p.matrix as tf.Tensor2D,
        bias: p.bias,
        activation: fusedAct,
      });
      return step.activation === 'softmax' ? tf.softmax(y) : y;
    }
  }
}

/** Folds the plan's weights once and returns the forward pass; `weights` may be disposed afterwards. */
export function createFusedModel(plan: KerasPlan, weights: tf.NamedTensorMap): FusedModel {
  const prepared = plan.steps.map((s) => prepare(s, weights));
  // Index of the last step that reads each tensor, so activations are freed as soon as they are dead
  // (holding all of them would cost ~30 MB per image in a batch).
  const lastUse = new Map<string, number>();
  prepared.forEach((p, i) => {
    for (const n of p.step.inputs) lastUse.set(n, i);
  });
  let disposed = false;
  return {
    inputShape: plan.inputShape,
    predict(batch) {
      if (disposed) throw new ClassifierError(ClassifierErrorCode.DISPOSED, 'fused model is disposed');
      return tf.tidy(() => {
        const values = new Map<string, tf.Tensor>();
        prepared.forEach((p, i) => {
          const ins =
            p.step.kind === 'input' ? [batch] : p.step.inputs.map((n) => values.get(n) as tf.Tensor);
          values.set(p.step.output, run(p, ins));
          for (const n of p.step.inputs) {
            const t = values.get(n);
            if (lastUse.get(n) === i && n !== plan.output && t !== undefined && t !== batch) {
              t.dispose();
              values.delete(n);
            }
          }
        });
        return values.get(plan.output) as tf.Tensor;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of prepared)
        tf.dispose([p.filter, p.bias, p.matrix, p.scale, p.offset].filter((t) => t !== undefined));
    },
  };
}
