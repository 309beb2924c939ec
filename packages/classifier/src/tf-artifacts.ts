import type * as tf from '@tensorflow/tfjs';
import { ClassifierError, ClassifierErrorCode } from './errors.js';
import { verifiedJson, type VerifiedModelFiles } from './model-files.js';

interface WeightGroup {
  readonly paths: readonly string[];
  readonly weights: readonly tf.io.WeightsManifestEntry[];
}

function invalid(model: VerifiedModelFiles, message: string): ClassifierError {
  return new ClassifierError(ClassifierErrorCode.MODEL_INVALID, `model ${model.manifest.id}: ${message}`);
}

/**
 * Builds in-memory tfjs ModelArtifacts from a verified model folder: the topology from `jsonFile` and the
 * weight shards it names, taken from the already checksummed bytes (so `tf.io.fromMemory` never reads disk
 * or network itself).
 */
export function modelArtifacts(model: VerifiedModelFiles, jsonFile: string): tf.io.ModelArtifacts {
  const json = verifiedJson(model, jsonFile);
  if (typeof json !== 'object' || json === null) throw invalid(model, `${jsonFile} is not an object`);
  const j = json as Record<string, unknown>;
  const groups = j['weightsManifest'];
  if (!Array.isArray(groups)) throw invalid(model, `${jsonFile} has no weightsManifest`);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const g of groups as WeightGroup[]) {
    for (const p of g.paths) {
      const bytes = model.files.get(p);
      if (bytes === undefined) throw invalid(model, `weight shard ${p} is not listed in the manifest`);
      shards.push(bytes);
    }
    weightSpecs.push(...g.weights);
  }
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.byteLength;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: j['modelTopology'] as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData: weightData.buffer,
  };
  if (typeof j['format'] === 'string') artifacts.format = j['format'];
  if (typeof j['generatedBy'] === 'string') artifacts.generatedBy = j['generatedBy'];
  if (typeof j['convertedBy'] === 'string') artifacts.convertedBy = j['convertedBy'];
  if (j['signature'] !== undefined) artifacts.signature = j['signature'] as object;
  if (j['userDefinedMetadata'] !== undefined)
    artifacts.userDefinedMetadata = j['userDefinedMetadata'] as tf.io.ModelArtifacts['userDefinedMetadata'];
  return artifacts;
}
