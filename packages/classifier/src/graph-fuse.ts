import * as tf from '@tensorflow/tfjs';

/**
 * A graph-level fusion pass for tfjs graph models exported from Keras without the converter's optimisations
 * (FaceRes here): every `Conv2D | DepthwiseConv2dNative -> [Mul const] -> Add const -> Relu [-> Minimum 6
 * [-> Maximum 0]]` chain becomes one `_FusedConv2D` / `FusedDepthwiseConv2dNative` node with a bias and a
 * relu/relu6 activation; the per-channel Mul (batch-norm scale) is folded into the kernel. On wasm the
 * separate element-wise kernels (the broadcast Minimum/Maximum above all) cost more than the convolutions.
 * The model files are untouched (they stay checksummed); only the in-memory graph and weights change.
 */

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

type WorkNode = GraphNode & { input: string[] };

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const sourceName = (input: string): string => input.replace(/^\^/, '').replace(/:\d+$/, '');

function constNode(name: string, shape: readonly number[]): WorkNode {
  return {
    name,
    op: 'Const',
    input: [],
    attr: {
      dtype: { type: 'DT_FLOAT' },
      value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    },
  };
}

/** Result of `fuseGraphModel`: new artifacts, and how many chains were fused (for tests and logs). */
export interface FusedGraph {
  readonly artifacts: tf.io.ModelArtifacts;
  readonly fusedChains: number;
}

/** Applies the fusion pass to graph-model artifacts (weights decoded, folded, re-encoded as float32). */
export async function fuseGraphModel(artifacts: tf.io.ModelArtifacts): Promise<FusedGraph> {
  const topology = artifacts.modelTopology as { node?: GraphNode[] } | undefined;
  if (
    topology?.node === undefined ||
    artifacts.weightData === undefined ||
    artifacts.weightSpecs === undefined
  ) {
    return { artifacts, fusedChains: 0 };
  }
  const weights: tf.NamedTensorMap = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const nodes: WorkNode[] = topology.node.map((n) => ({ ...n, input: [...(n.input ?? [])] }));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, number>();
  for (const n of nodes)
    for (const i of n.input) consumers.set(sourceName(i), (consumers.get(sourceName(i)) ?? 0) + 1);
  const sole = (n: GraphNode): WorkNode | undefined => {
    if (consumers.get(n.name) !== 1) return undefined;
    return nodes.find((c) => c.input.some((i) => sourceName(i) === n.name));
  };
  // The other input of a binary node when it is a weight (a Const held in the weight map).
  const constOperand = (n: GraphNode, from: GraphNode): tf.Tensor | undefined => {
    const other = (n.input ?? []).map(sourceName).find((i) => i !== from.name);
    const node = other === undefined ? undefined : byName.get(other);
    return node?.op === 'Const' && other !== undefined ? weights[other] : undefined;
  };
  const scalarIs = (t: tf.Tensor | undefined, v: number): boolean =>
    t !== undefined && t.size === 1 && t.dataSync()[0] === v;

  const removed = new Set<string>();
  const added: WorkNode[] = [];
  let fusedChains = 0;
  for (const conv of nodes) {
    if (conv.op !== 'Conv2D' && conv.op !== 'DepthwiseConv2dNative') continue;
    const kernelName = sourceName(conv.input[1] ?? '');
    const kernel = weights[kernelName];
    if (kernel === undefined || kernel.rank !== 4) continue;
    const depthwise = conv.op === 'DepthwiseConv2dNative';
    if (depthwise && kernel.shape[3] !== 1) continue;
    const channels = depthwise ? (kernel.shape[2] ?? 0) : (kernel.shape[3] ?? 0);
    const chain: WorkNode[] = [conv];
    let last: WorkNode = conv;
    let scale: tf.Tensor | undefined;
    let next = sole(last);
    if (next?.op === 'Mul') {
      const s = constOperand(next, last);
      if (s !== undefined && s.size === channels) {
        scale = s;
        chain.push(next);
        last = next;
        next = sole(last);
      }
    }
    if (next === undefined || !['Add', 'AddV2', 'BiasAdd'].includes(next.op)) continue;
    const bias = constOperand(next, last);
    if (bias === undefined || bias.size !== channels) continue;
    chain.push(next);
    last = next;
    let activation: 'Relu' | 'Relu6' | undefined;
    next = sole(last);
    if (next?.op === 'Relu6') {
      activation = 'Relu6';
      chain.push(next);
      last = next;
    } else if (next?.op === 'Relu') {
      activation = 'Relu';
      chain.push(next);
      last = next;
      const min = sole(last);
      if (min?.op === 'Minimum' && scalarIs(constOperand(min, last), 6)) {
        activation = 'Relu6';
        chain.push(min);
        last = min;
        const max = sole(last);
        // max(relu6(x), 0) is relu6(x): the clip's lower bound is redundant after a relu.
        if (max?.op === 'Maximum' && scalarIs(constOperand(max, last), 0)) {
          chain.push(max);
          last = max;
        }
      }
    }
    const fusedKernelName = `${last.name}/fused_kernel`;
    const fusedBiasName = `${last.name}/fused_bias`;
    weights[fusedKernelName] = tf.tidy(() =>
      scale === undefined
        ? tf.clone(kernel)
        : tf.mul(kernel, tf.reshape(scale, depthwise ? [1, 1, channels, 1] : [1, 1, 1, channels])),
    );
    weights[fusedBiasName] = tf.reshape(bias, [channels]);
    added.push(constNode(fusedKernelName, kernel.shape), constNode(fusedBiasName, [channels]));
    for (const n of chain.slice(0, -1)) removed.add(n.name);
    const fusedOps = activation === undefined ? [b64('BiasAdd')] : [b64('BiasAdd'), b64(activation)];
    // The last node of the chain keeps its name, so its consumers need no rewiring.
    last.op = depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D';
    last.input = [conv.input[0] ?? '', fusedKernelName, fusedBiasName];
    last.attr = { ...conv.attr, fused_ops: { list: { s: fusedOps } }, num_args: { i: '1' } };
    fusedChains++;
  }
  const kept = [...nodes.filter((n) => !removed.has(n.name)), ...added];
  const referenced = new Set(kept.flatMap((n) => n.input.map(sourceName)));
  const constNames = new Set(
    kept.filter((n) => n.op === 'Const' && referenced.has(n.name)).map((n) => n.name),
  );
  const liveNodes = kept.filter((n) => n.op !== 'Const' || constNames.has(n.name));
  const liveWeights: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(weights)) if (constNames.has(name)) liveWeights[name] = t;
  const encoded = await tf.io.encodeWeights(liveWeights);
  tf.dispose(Object.values(weights));
  return {
    artifacts: {
      ...artifacts,
      modelTopology: { ...topology, node: liveNodes },
      weightSpecs: encoded.specs,
      weightData: encoded.data,
    },
    fusedChains,
  };
}
