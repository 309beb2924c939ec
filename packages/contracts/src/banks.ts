import { Type, type Static } from '@sinclair/typebox';
import { createCodec } from './events.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Signal = Type.Union([
  Type.Literal('pdq'),
  Type.Literal('blockhash'),
  Type.Literal('md5'),
  Type.Literal('sha1'),
  Type.Literal('sha256'),
]);
const Radius = Type.Integer({ minimum: 0, maximum: 256 });

/** Meta's PDQ guidance, which hashing and matching both follow: a match is within this Hamming distance (inclusive). */
export const PDQ_MATCH_DISTANCE = 31;
/** Meta's PDQ guidance: hashes below this quality are too flat to match reliably. */
export const PDQ_MIN_QUALITY = 50;

/**
 * `mod.bank-changes.v1` (compacted): what every scanner applies to its in-memory index. Applying a change twice
 * is a no-op. `bank-resync` follows a bulk import: reload that bank from PostgreSQL rather than stream millions
 * of entry messages.
 */
export const BankChangeMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('bank-upserted'),
      bank: Type.Object(
        {
          bankId: Id,
          enabled: Type.Boolean(),
          negative: Type.Boolean(),
          thresholds: Type.Object(
            { pdq: Type.Optional(Radius), blockhash: Type.Optional(Radius) },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      meta: Type.Object(
        {
          name: Type.String(),
          actionPolicy: Type.Union([Type.Literal('automatic'), Type.Literal('review')]),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('bank-removed'), bankId: Id }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('entry-added'),
      entry: Type.Object(
        {
          entryId: Id,
          bankId: Id,
          signal: Signal,
          value: Type.String({ pattern: '^[0-9a-f]+$', maxLength: 64 }),
          quality: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('entry-removed'), bankId: Id, entryId: Id },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('bank-resync'), bankId: Id }, { additionalProperties: false }),
]);
export type BankChangeMessage = Static<typeof BankChangeMessage>;

export const bankChangeCodec = createCodec('bank-change.v1', BankChangeMessage);

/** The compaction key of a change: the latest message per key is the state. */
export function bankChangeKey(change: BankChangeMessage): string {
  switch (change.type) {
    case 'bank-upserted':
      return `bank:${change.bank.bankId}`;
    case 'bank-removed':
    case 'bank-resync':
      return `bank:${change.bankId}`;
    case 'entry-added':
      return `entry:${change.entry.bankId}:${change.entry.entryId}`;
    case 'entry-removed':
      return `entry:${change.bankId}:${change.entryId}`;
  }
}
