/**
 * Subpath `@mod/hashing/decode`: the adapter that turns encoded bytes into pixels (sharp, with every limit
 * enforced) and the one call that decodes and hashes. The main entry keeps the pure hash algorithms only.
 */
export {
  decodeImage,
  defaultReducedDecode,
  PAGED_FORMATS,
  recommendedReducedDecode,
  reducedJpegScale,
  STRIP_FORMATS,
} from './decode.js';
export type { DecodedImage, DecodeOptions, ReducedDecode } from './decode.js';
export { decodeFirst, hashMedia } from './hash-media.js';
export { walkFrames } from './frames.js';
export type { FrameVisitor, FramesStop, WalkedFrames } from './frames.js';
export type { HashMediaOptions, MediaHashes } from './hash-media.js';
