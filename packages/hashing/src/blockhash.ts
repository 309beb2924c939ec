import { bmvbhash, bmvbhashEven } from 'blockhash-core';
import type { RawImage } from './pdq.js';

/**
 * blockhash methods: `precise` (blockhash-js method 2 / python default: fractional pixel weights across block
 * boundaries) and `quick` (method 1 / `--quick`: whole blocks, remainder pixels ignored).
 */
export const BlockhashMethod = { PRECISE: 'precise', QUICK: 'quick' } as const;
export type BlockhashMethod = (typeof BlockhashMethod)[keyof typeof BlockhashMethod];

/**
 * blockhash of RGBA pixels via blockhash-core (the reference JavaScript implementation, which agrees with
 * blockhash-python on the published test images). `bits` is the grid side: 16 gives the usual 256-bit hash,
 * 8 a 64-bit one. Fully transparent pixels count as white, as in the reference.
 */
export function blockhash(
  image: RawImage,
  bits = 16,
  method: BlockhashMethod = BlockhashMethod.PRECISE,
): string {
  if (image.channels !== 4) throw new RangeError('blockhash needs RGBA pixels');
  if (!Number.isInteger(bits) || bits < 2 || bits % 2 !== 0)
    throw new RangeError('bits must be an even integer ≥ 2');
  const data = { width: image.width, height: image.height, data: image.data };
  return method === BlockhashMethod.QUICK ? bmvbhashEven(data, bits) : bmvbhash(data, bits);
}
