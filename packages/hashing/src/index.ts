/**
 * `@mod/hashing`: the pure hash algorithms (PDQ, blockhash, exact digests, format sniffing, trimming) over pixels
 * and bytes already in memory; no decoder, no threads. Adapters are subpaths: `@mod/hashing/decode` (sharp) and
 * `@mod/hashing/pool` (the Piscina worker pool).
 */
export type { HashMediaOptions, MediaHashes } from './hash-media.js';
export { HashingError, HashingErrorCode } from './errors.js';
export { defaultDecodeLimits, resolveLimits } from './limits.js';
export type { DecodeLimits } from './limits.js';
export { ImageFormat, sniffImageFormat } from './sniff.js';
export type { DecodedImage, DecodeOptions, ReducedDecode } from './decode.js';
export { exactHashes } from './exact.js';
export type { ExactHashes } from './exact.js';
export { blockhash, BlockhashAccumulator, blockhashAccumulator, BlockhashMethod } from './blockhash.js';
export type { RowRunSums } from './row-sums.js';
export { cropRaw, defaultTrimOptions, findContentBox } from './trim.js';
export type { CropBox, TrimOptions } from './trim.js';
export {
  dct64To16,
  downsampleTo64,
  downsampleTo64Js,
  hammingDistanceHex,
  jaroszWindowSize,
  lumaFromRaw,
  PDQ_DIHEDRAL_ORDER,
  PDQ_MATCH_DISTANCE,
  PDQ_MIN_HASHABLE_DIM,
  PDQ_MIN_QUALITY,
  PDQ_ZERO_HASH,
  pdqBitsToHex,
  pdqDctFromLuma,
  pdqDihedralFromDct,
  pdqDihedralFromLuma,
  pdqFromLuma,
  pdqFromRaw,
  pdqHashesFromRaw,
  pdqQuality,
  transformLuma,
} from './pdq.js';
export type { LumaImage, PdqDct, PdqHashes, PdqHashesOptions, PdqResult, RawImage } from './pdq.js';
export type { HashTaskInput, HashTaskOutput } from './task-types.js';
