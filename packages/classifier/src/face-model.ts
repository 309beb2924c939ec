import * as tf from '@tensorflow/tfjs';
import { ClassifierError, ClassifierErrorCode } from './errors.js';
import {
  ageStatistics,
  blazefaceAnchors,
  decodeBlazeface,
  faceCropBox,
  type RawFace,
} from './face-decode.js';
import { fuseGraphModel } from './graph-fuse.js';
import type { ModelRef } from './manifest.js';
import { readVerifiedModel } from './model-files.js';
import { cropSquare, letterbox, type RgbImage } from './preprocess.js';
import { modelArtifacts } from './tf-artifacts.js';

/** Folder name of the face detector + age model under `modelsDir`, and its manifest id. */
export const FACE_MODEL_ID = 'face-age';

/** One face found in an image, with the apparent age FaceRes estimates for it. */
export interface FaceEstimate {
  /** Detection box as fractions of the image width/height (0..1, top-left origin). */
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Detector confidence 0..1. */
  readonly confidence: number;
  /** Expected value of the age distribution, in years. */
  readonly apparentAgeYears: number;
  /** Probability mass of the age distribution below the configured threshold (e.g. 18 years). */
  readonly minorProbability: number;
}

export interface FaceOptions {
  readonly minConfidence: number;
  readonly iouThreshold: number;
  readonly maxFaces: number;
  /** Faces narrower than this in working-image pixels are ignored (too small for an age estimate). */
  readonly minFaceSidePx: number;
  readonly ageThresholdYears: number;
}

export interface FaceAgeModel {
  readonly ref: ModelRef;
  estimate(image: RgbImage, options: FaceOptions): Promise<FaceEstimate[]>;
  dispose(): void;
}

const DETECTOR_SIZE_PX = 256;
const AGE_SIZE_PX = 224;
// Human enlarges the BlazeFace box by 1.4 before cropping the face for FaceRes.
const CROP_SCALE = 1.4;

/** Loads and verifies `<modelsDir>/face-age` (BlazeFace 256 + FaceRes 224, graph models). */
export async function loadFaceAgeModel(dir: string): Promise<FaceAgeModel> {
  const files = await readVerifiedModel(dir, FACE_MODEL_ID);
  const detector = await tf.loadGraphModel(tf.io.fromMemory(modelArtifacts(files, 'blazeface.json')));
  // FaceRes ships unfused (conv, bias add, relu, clip as separate ops): fusing halves its cost on wasm.
  const { artifacts: faceres } = await fuseGraphModel(modelArtifacts(files, 'faceres.json'));
  const ager = await tf.loadGraphModel(tf.io.fromMemory(faceres));
  const anchors = blazefaceAnchors(DETECTOR_SIZE_PX);

  function detect(rgb: Uint8Array, options: FaceOptions): RawFace[] {
    const outputs = tf.tidy(() => {
      // BlazeFace expects RGB in [-1, 1].
      const x = tf.sub(
        tf.div(tf.tensor4d(Float32Array.from(rgb), [1, DETECTOR_SIZE_PX, DETECTOR_SIZE_PX, 3]), 127.5),
        1,
      );
      const res = detector.execute(x);
      return Array.isArray(res) ? res : [res];
    });
    try {
      // The converted model returns scores and boxes per anchor grid separately: [1,512,1], [1,512,16],
      // [1,384,1], [1,384,16]. Rows are anchors of stride 16 (512) then stride 32 (384).
      const rowsOf = (anchorsN: number, width: number): Float32Array => {
        const t = outputs.find((o) => o.shape[1] === anchorsN && o.shape[2] === width);
        if (t === undefined)
          throw new ClassifierError(ClassifierErrorCode.MODEL_INVALID, 'blazeface: unexpected outputs');
        return t.dataSync() as Float32Array;
      };
      const total = anchors.length / 2;
      const rows = new Float32Array(total * 17);
      let row = 0;
      for (const n of [512, 384]) {
        const scores = rowsOf(n, 1);
        const boxes = rowsOf(n, 16);
        for (let i = 0; i < n; i++, row++) {
          rows[row * 17] = scores[i] ?? -Infinity;
          rows.set(boxes.subarray(i * 16, i * 16 + 16), row * 17 + 1);
        }
      }
      return decodeBlazeface(rows, 17, anchors, options);
    } finally {
      tf.dispose(outputs);
    }
  }

  return {
    ref: files.ref,
    async estimate(image, options) {
      const { rgb, scale } = await letterbox(image, DETECTOR_SIZE_PX);
      const found = detect(rgb, options)
        .map((f) => ({
          x1: f.x1 / scale,
          y1: f.y1 / scale,
          x2: f.x2 / scale,
          y2: f.y2 / scale,
          confidence: f.confidence,
        }))
        .filter((f) => f.x2 - f.x1 >= options.minFaceSidePx && f.y2 - f.y1 >= options.minFaceSidePx);
      if (found.length === 0) return [];
      const crops = new Uint8Array(found.length * AGE_SIZE_PX * AGE_SIZE_PX * 3);
      for (let i = 0; i < found.length; i++) {
        const crop = await cropSquare(image, faceCropBox(found[i] as RawFace, CROP_SCALE), AGE_SIZE_PX);
        crops.set(crop, i * crop.length);
      }
      const outputs = tf.tidy(() => {
        // FaceRes takes RGB in [0, 255].
        const x = tf.tensor4d(Float32Array.from(crops), [found.length, AGE_SIZE_PX, AGE_SIZE_PX, 3]);
        const res = ager.execute(x);
        return Array.isArray(res) ? res : [res];
      });
      try {
        const ageT = outputs.find((o) => o.shape[1] === 100);
        if (ageT === undefined)
          throw new ClassifierError(ClassifierErrorCode.MODEL_INVALID, 'faceres: no age output');
        const ages = (await ageT.data()) as Float32Array;
        return found.map((f, i): FaceEstimate => {
          const stats = ageStatistics(ages.subarray(i * 100, i * 100 + 100), options.ageThresholdYears);
          const x = Math.max(0, f.x1);
          const y = Math.max(0, f.y1);
          return {
            box: {
              x: x / image.width,
              y: y / image.height,
              width: (Math.min(image.width, f.x2) - x) / image.width,
              height: (Math.min(image.height, f.y2) - y) / image.height,
            },
            confidence: f.confidence,
            ...stats,
          };
        });
      } finally {
        tf.dispose(outputs);
      }
    },
    dispose() {
      detector.dispose();
      ager.dispose();
    },
  };
}
