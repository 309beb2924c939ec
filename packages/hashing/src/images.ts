/** A decoded image as interleaved 8-bit samples (1 to 4 channels; the first three are R, G, B when ≥ 3). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Float luminance, row-major `height × width`. */
export interface LumaImage {
  luma: Float32Array;
  width: number;
  height: number;
}
