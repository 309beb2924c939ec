import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { maxMediaBytesSetting, mediaReadAheadSetting } from '@mod/bootstrap';
import { commonSpec, deadLettersSpec, decodeMarksSpec, env, partnerTopicsSpec } from '@mod/config';
import { defaultDecodeLimits, defaultMaxHashedFrames, FRAMES_EXAMINED_PER_HASHED } from '@mod/hashing';
import { vaultKeySpec } from '@mod/vault';

/**
 * Default `CLASSIFIER_WORKER_MAX_HEAP_MB`: 8× the 32 MiB a worker was measured to need for the models and a batch of
 * two 1920×1080 photos (16 is too little for the models: the worker ends on its first task).
 */
const DEFAULT_WORKER_MAX_HEAP_MB = 256;

export const classifierSpec = {
  ...commonSpec,
  ...partnerTopicsSpec,
  ...deadLettersSpec,
  ...decodeMarksSpec,
  ...vaultKeySpec,
  CLASSIFIER_GROUP_ID: env.string({
    default: 'mod-classifier',
    doc: 'Kafka consumer group of the classifiers (reads the media topics beside the scanners, on its own)',
  }),
  CLASSIFIER_THREADS: env.integer({
    default: Math.max(1, availableParallelism()),
    min: 1,
    max: 64,
    doc: 'classifier worker threads (each loads the models); give it the cores it may use',
  }),
  CLASSIFIER_WORKER_MAX_HEAP_MB: env.integer({
    default: DEFAULT_WORKER_MAX_HEAP_MB,
    min: 32,
    max: 4096,
    doc: `V8 heap of each classifier worker thread, in MiB (32 to 4096; the models take about 32): media whose decode or scoring takes its worker past it ends that worker alone (the pool starts another), not the whole classifier; the same content crashing its worker twice, the pool classifying other media after each, is dead-lettered with MOD_ERR_CLASSIFIER_WORKER_CRASHED. Decoded pixels and the models' weights are outside it (CLASSIFIER_MAX_DECODED_BYTES bounds the former). Default ${DEFAULT_WORKER_MAX_HEAP_MB}. Count CLASSIFIER_THREADS × this in the memory limit`,
  }),
  CLASSIFIER_BATCH_SIZE: env.integer({
    default: 4,
    min: 1,
    max: 64,
    doc: 'most images one inference call takes when images queue for a thread (idle, an image goes alone)',
  }),
  CLASSIFIER_MAX_IN_FLIGHT: env.integer({
    default: 8,
    min: 1,
    max: 256,
    doc: 'media messages at once per partition (waiting for their verdict, without their bytes, or being classified); the consumer pauses beyond it',
  }),
  CLASSIFIER_READ_AHEAD_BYTES: mediaReadAheadSetting(
    'bytes of media read from Kafka ahead of the classifier (fetched and not started), at most, and as much again of media being classified (media waiting for its verdict holds none: read again once it is there) (256 KiB to 16 MiB; one larger message is still read, alone)',
  ),
  CLASSIFIER_VERDICT_WAIT_MS: env.milliseconds({
    default: 60 * 60 * 1000,
    min: 1000,
    doc: 'how long media may wait for its verdict (scanner or actioner behind), from when the classifier first read it, before the classifier gives up on it, counted in mod_classifier_skipped_total{reason="no-verdict"}; keep it under the media retention (6 h)',
  }),
  MODELS_DIR: env.string({
    default: fileURLToPath(new URL('../../../models', import.meta.url)),
    doc: 'folder holding the classifier models (checksummed at load)',
  }),
  RISK_REVIEW_THRESHOLD: env.number({
    default: 0.7,
    min: 0,
    max: 1,
    doc: 'risk score at or above which a review case opens',
  }),
  RISK_SEXY_WEIGHT: env.number({
    default: 0.5,
    min: 0,
    max: 1,
    doc: "weight of the 'sexy' class in the risk score",
  }),
  RISK_MINOR_WEIGHT: env.number({
    default: 1,
    min: 0,
    max: 10,
    doc: 'how much an apparent minor raises the risk score',
  }),
  CLASSIFIER_MAX_DECODED_BYTES: env.integer({
    default: defaultDecodeLimits.maxDecodedBytes,
    min: 1024 * 1024,
    doc: "most memory one image may take to decode, estimated from its header before decoding (the scanner's check and default, 512 MiB); media above it is dead-lettered with MOD_ERR_CLASSIFIER_TOO_MANY_DECODED_BYTES. Keep CLASSIFIER_THREADS × this within the memory limit beside the models",
  }),
  CLASSIFIER_DECODE_TIMEOUT_MS: env.integer({
    default: defaultDecodeLimits.timeoutMs,
    min: 100,
    max: 10 * 60 * 1000,
    doc: "longest one image's decode may take (the scanner's 10 s); slower media is dead-lettered with MOD_ERR_CLASSIFIER_DECODE_TIMEOUT",
  }),
  CLASSIFIER_MAX_FRAMES: env.integer({
    default: defaultMaxHashedFrames,
    min: 1,
    max: 10_000,
    doc: `distinct frames of an animated GIF/WebP or multi-page TIFF scored at most, frame 0 included: the frames the scanner hashes (HASH_MAX_FRAMES, whose default this is; a frame identical to the one before it is not scored again; at most ${FRAMES_EXAMINED_PER_HASHED}× this many frames examined, each decode within CLASSIFIER_MAX_DECODED_BYTES and CLASSIFIER_DECODE_TIMEOUT_MS, no further decode once half the latter is spent). The media's risk is the highest of its frames', and the result names that frame; frames past the bound are counted in the result and mod_classifier_frames_unexamined_total, and policy has a person look. 1 scores the first frame only`,
  }),
  MAX_MEDIA_BYTES: maxMediaBytesSetting(
    "largest media classified, in bytes (keep it the scanner's MAX_MEDIA_BYTES: larger media the scanner took are dead-lettered with MOD_ERR_CLASSIFY_MEDIA_TOO_LARGE)",
  ),
} as const;
