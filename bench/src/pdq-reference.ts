import {
  dct64To16,
  downsampleTo64Js,
  hammingDistanceHex,
  lumaFromRaw,
  pdqBitsToHex,
  pdqFromRaw,
  pdqQuality,
} from '@mod/hashing';
import type { RawImage } from '@mod/hashing';

/** One image: the engine's PDQ against the plain transcription of Meta's reference on the same pixels. */
export interface PdqComparison {
  distance: number;
  engineQuality: number;
  referenceQuality: number;
}

/**
 * Counts how often the PDQ engine (separable weights, WebAssembly) agrees with `downsampleTo64Js`, the plain
 * transcription of the reference's float32 filter, in hash and in quality.
 */
export class PdqAgreement {
  images = 0;
  sameHash = 0;
  maxDistance = 0;
  sameQuality = 0;

  record(pixels: RawImage): PdqComparison {
    const engine = pdqFromRaw(pixels);
    const buffer = downsampleTo64Js(lumaFromRaw(pixels));
    const distance = hammingDistanceHex(engine.hash, pdqBitsToHex(dct64To16(buffer)));
    const referenceQuality = pdqQuality(buffer);
    this.images++;
    if (distance === 0) this.sameHash++;
    this.maxDistance = Math.max(this.maxDistance, distance);
    if (engine.quality === referenceQuality) this.sameQuality++;
    return { distance, engineQuality: engine.quality, referenceQuality };
  }

  /** "same hash on N (max distance D), same quality on Q". */
  summary(): string {
    return `same hash on ${this.sameHash} (max distance ${this.maxDistance} bits), same quality on ${this.sameQuality}`;
  }
}
