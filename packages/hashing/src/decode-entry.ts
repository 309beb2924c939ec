/**
 * Subpath `@mod/hashing/decode`: the adapter that turns encoded bytes into pixels (sharp, with every limit
 * enforced) and the one call that decodes and hashes. The main entry keeps the pure hash algorithms only.
 */
export { decodeImage, defaultReducedDecode, recommendedReducedDecode, reducedJpegScale } from './decode.js';
export type { DecodedImage, DecodeOptions, ReducedDecode } from './decode.js';
export { hashMedia } from './hash-media.js';
export type { HashMediaOptions, MediaHashes } from './hash-media.js';
