/**
 * `@mod/hashing`: the pure hash algorithms (PDQ, blockhash, exact digests, format sniffing, trimming) over pixels
 * and bytes already in memory; no decoder, no threads. Adapters are subpaths: `@mod/hashing/decode` (sharp) and
 * `@mod/hashing/pool` (the Piscina worker pool).
 */
export type { HashMediaOptions, MediaHashes } from './hash-media.js';
export type { FrameHashes, MediaFrames, PerceptualHashes } from './frames.js';
export { HashingError, HashingErrorCode } from './errors.js';
export {
  defaultDecodeLimits,
  defaultMaxHashedFrames,
  FRAMES_EXAMINED_PER_HASHED,
  resolveLimits,
} from './limits.js';
export type { DecodeLimits } from './limits.js';
export {
  checkDecodedBytes,
  decodedBytes,
  framesWithin,
  imageHeaderOf,
  withDeadline,
} from './decode-budget.js';
export type { HeaderMetadata, ImageHeader } from './decode-budget.js';
export { ImageFormat, sniffImageFormat } from './sniff.js';
export { apngFirstShownFrame, apngFrameCount, MAX_PNG_CHUNKS } from './apng.js';
export { checkJpegScans, jpegScanCount, MAX_JPEG_SCANS } from './jpeg-scans.js';
export type { DecodedImage, DecodeOptions, ReducedDecode } from './decode.js';
export { exactHashes } from './exact.js';
export { probeImage } from './probe-image.js';
export {
  createContentStrikes,
  MAX_WORKER_CRASHES,
  sha256Key,
  type ContentStrikes,
  type Strike,
} from './content-strikes.js';
export type { ExactHashes } from './exact.js';
export { blockhash, BlockhashAccumulator, blockhashAccumulator, BlockhashMethod } from './blockhash.js';
export type { RowRunSums } from './row-sums.js';
export { cropRaw, defaultTrimOptions, findContentBox } from './trim.js';
export type { CropBox, TrimOptions } from './trim.js';
export type { LumaImage, RawImage } from './images.js';
export { lumaFromRaw } from './pdq-luma.js';
export { downsampleTo64Js, jaroszWindowSize } from './pdq-jarosz.js';
export { dct64To16, pdqBitsToHex } from './pdq-dct.js';
export { pdqQuality } from './pdq-quality.js';
export { PDQ_DIHEDRAL_ORDER, pdqDihedralFromDct, transformLuma } from './pdq-dihedral.js';
export { hammingDistanceHex } from './hamming.js';
export {
  BLOCKHASH_MATCH_DISTANCE,
  downsampleTo64,
  PDQ_MATCH_DISTANCE,
  PDQ_MIN_HASHABLE_DIM,
  PDQ_MIN_QUALITY,
  PDQ_ZERO_HASH,
  pdqDctFromLuma,
  pdqDihedralFromLuma,
  pdqFromLuma,
  pdqFromRaw,
  pdqHashesFromRaw,
} from './pdq.js';
export type { PdqDct, PdqHashes, PdqHashesOptions, PdqResult } from './pdq.js';
export type { HashTaskInput, HashTaskOutput } from './task-types.js';
