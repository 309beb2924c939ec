import { availableParallelism } from 'node:os';
import { commonSpec, env } from '@mod/config';

export const scannerSpec = {
  ...commonSpec,
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
  BANK_SNAPSHOT_PATH: env.string({
    default: '',
    doc: 'file where the scanner keeps a snapshot of its bank index for a fast restart (empty: none)',
  }),
  HASH_DIHEDRAL: env.boolean({
    default: false,
    doc: 'also match the 8 rotations/flips and the border-trimmed content (PDQ)',
  }),
  MAX_MEDIA_BYTES: env.integer({
    default: 12 * 1024 * 1024,
    min: 1024,
    doc: 'largest media accepted, in bytes',
  }),
} as const;
