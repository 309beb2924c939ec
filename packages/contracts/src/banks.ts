import { Type, type Static } from '@sinclair/typebox';
import { SignalType, createCodec } from './events.js';
import { ClosedObject, Id } from './schema-parts.js';

const Radius = Type.Integer({ minimum: 0, maximum: 256 });

/** Meta's PDQ guidance, which hashing and matching both follow: a match is within this Hamming distance (inclusive). */
export const PDQ_MATCH_DISTANCE = 31;
/** Meta's PDQ guidance: hashes below this quality are too flat to match reliably. */
export const PDQ_MIN_QUALITY = 50;
/** A blockhash (256-bit) match is within this Hamming distance (inclusive) when its bank sets no radius. */
export const BLOCKHASH_MATCH_DISTANCE = 10;

/**
 * `mod.bank-changes.v1` (compacted): what every scanner applies to its in-memory index. Applying a change twice
 * is a no-op. `bank-resync` follows a bulk import: reload that bank from PostgreSQL rather than stream millions
 * of entry messages.
 */
export const BankChangeMessage = Type.Union([
  ClosedObject({
    type: Type.Literal('bank-upserted'),
    bank: ClosedObject({
      bankId: Id,
      enabled: Type.Boolean(),
      negative: Type.Boolean(),
      thresholds: ClosedObject({ pdq: Type.Optional(Radius), blockhash: Type.Optional(Radius) }),
    }),
    meta: ClosedObject({
      name: Type.String(),
      actionPolicy: Type.Union([Type.Literal('automatic'), Type.Literal('review')]),
    }),
  }),
  ClosedObject({ type: Type.Literal('bank-removed'), bankId: Id }),
  ClosedObject({
    type: Type.Literal('entry-added'),
    entry: ClosedObject({
      entryId: Id,
      bankId: Id,
      signal: SignalType,
      value: Type.String({ pattern: '^[0-9a-f]+$', maxLength: 64 }),
      quality: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    }),
  }),
  ClosedObject({ type: Type.Literal('entry-removed'), bankId: Id, entryId: Id }),
  ClosedObject({ type: Type.Literal('bank-resync'), bankId: Id }),
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
