import { availableParallelism } from 'node:os';
import { maxMediaBytesSetting, mediaReadAheadSetting } from '@mod/bootstrap';
import { commonSpec, deadLettersSpec, decodeMarksSpec, env, partnerTopicsSpec } from '@mod/config';
import { defaultDecodeLimits, defaultMaxHashedFrames, FRAMES_EXAMINED_PER_HASHED } from '@mod/hashing';
import { vaultKeySpec } from '@mod/vault';

/** Default `HASH_WORKER_MAX_HEAP_MB`: 8× the heap the largest decode the limits allow was measured to need. */
const DEFAULT_WORKER_MAX_HEAP_MB = 128;

export const scannerSpec = {
  ...commonSpec,
  ...partnerTopicsSpec,
  ...deadLettersSpec,
  ...decodeMarksSpec,
  ...vaultKeySpec,
  SCANNER_GROUP_ID: env.string({ default: 'mod-scanner', doc: 'Kafka consumer group of the scanners' }),
  HASH_THREADS: env.integer({
    default: Math.max(1, availableParallelism()),
    min: 1,
    max: 64,
    doc: 'hashing worker threads',
  }),
  HASH_MAX_IN_FLIGHT: env.integer({
    default: Math.max(2, availableParallelism() * 2),
    min: 1,
    max: 256,
    doc: 'media being hashed at once per partition; the consumer pauses beyond it',
  }),
  SCANNER_READ_AHEAD_BYTES: mediaReadAheadSetting(
    'bytes of media read from Kafka ahead of the hashing (fetched and not started; those in flight, HASH_MAX_IN_FLIGHT, come on top): the media kept in memory waiting, at most (256 KiB to 16 MiB; one larger message is still read, alone)',
  ),
  BANK_SNAPSHOT_PATH: env.string({
    default: '',
    doc: 'file where the scanner keeps a snapshot of its bank index for a fast restart (empty: none)',
  }),
  HASH_DIHEDRAL: env.boolean({
    default: false,
    doc: 'also match the 8 rotations/flips and the border-trimmed content (PDQ)',
  }),
  HASH_REDUCED_DECODE_MIN_SIDE: env.integer({
    default: 0,
    min: 0,
    doc: 'decode large JPEGs at 1/4, 1/8 or 1/16 scale when the shorter side stays at least this many pixels (0, the default: decode every pixel; 600 takes 12 MP photos at 1/4, about half the time, PDQ within 6 bits)',
  }),
  HASH_MAX_DECODED_BYTES: env.integer({
    default: defaultDecodeLimits.maxDecodedBytes,
    min: 1024 * 1024,
    doc: 'most memory one image may take to decode, estimated from its header before decoding (512 MiB: a 100 MP 8-bit RGB photo is 300 MB); media above it fails with MOD_ERR_HASH_TOO_MANY_DECODED_BYTES and is dead-lettered. Keep HASH_THREADS × this within the memory limit beside the bank index',
  }),
  HASH_MAX_FRAMES: env.integer({
    default: defaultMaxHashedFrames,
    min: 1,
    max: defaultDecodeLimits.maxFrames,
    doc: `distinct frames of an animated GIF/WebP or multi-page TIFF hashed at most (a frame identical to the one before it is not hashed again; at most ${FRAMES_EXAMINED_PER_HASHED}× this many frames examined, each decode within HASH_MAX_DECODED_BYTES); a hit on any frame is a match of the media. Past it, the verdict says how many frames were examined and, when nothing matched, policy opens a review case`,
  }),
  HASH_WORKER_MAX_HEAP_MB: env.integer({
    default: DEFAULT_WORKER_MAX_HEAP_MB,
    min: 16,
    max: 4096,
    doc: `V8 heap of each hashing worker thread, in MiB (16 to 4096): a media whose hashing takes its worker past it crashes that worker alone (MOD_ERR_HASH_WORKER_CRASHED, the pool starts another), not the whole scanner. Decoded pixels are outside it (HASH_MAX_DECODED_BYTES bounds them): the largest decode the limits allow, a 100 MP JPEG, dihedral hashes included, hashes in 16; the default, ${DEFAULT_WORKER_MAX_HEAP_MB}, leaves room for 8 times that. Count HASH_THREADS × this in the memory limit`,
  }),
  MAX_MEDIA_BYTES: maxMediaBytesSetting('largest media accepted, in bytes'),
} as const;
