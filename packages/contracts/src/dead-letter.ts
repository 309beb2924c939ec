import { Type, type Static } from '@sinclair/typebox';
import { ClosedObject, Hex, Id, IsoTime, Uuid } from './schema-parts.js';

/** The dead letters one summary letter stands for (`DeadLetter.folded`): how many, where, whose, and why. */
export const DeadLettersFolded = ClosedObject({
  /** Records folded (each would have been a dead letter of its own). */
  count: Type.Integer({ minimum: 1 }),
  /** The lowest and highest offset folded, of `sourcePartition` (offsets between them may have been fine). */
  firstOffset: Type.String({ pattern: '^[0-9]{1,20}$' }),
  lastOffset: Type.String({ pattern: '^[0-9]{1,20}$' }),
  /** The tenant whose own topic the source is; null for the project's own (shared) topics. */
  tenant: Type.Union([Id, Type.Null()]),
  /** Bytes of the folded records' values, together. */
  valueBytes: Type.Integer({ minimum: 0 }),
  /** Each reason seen, with how many records it was; codes past the 32nd counted as `MOD_ERR_UNCLASSIFIED`. */
  codes: Type.Array(
    ClosedObject({
      code: Type.String({ pattern: '^MOD_ERR_[A-Z0-9_]+$' }),
      count: Type.Integer({ minimum: 1 }),
    }),
    { minItems: 1, maxItems: 33 },
  ),
});
export type DeadLettersFolded = Static<typeof DeadLettersFolded>;

/** `mod.dlq.v1`: an input that can never succeed. Holds a digest of the original, never media bytes. */
export const DeadLetter = ClosedObject({
  eventId: Uuid,
  sourceTopic: Type.String(),
  sourcePartition: Type.Integer({ minimum: 0 }),
  sourceOffset: Type.String(),
  sourceKey: Type.Union([Type.String(), Type.Null()]),
  /** SHA-256 of the original message value, so an operator can find it while the source topic keeps it. */
  valueSha256: Hex(32),
  valueBytes: Type.Integer({ minimum: 0 }),
  consumer: Type.String(),
  reason: ClosedObject({ code: Type.String({ pattern: '^MOD_ERR_[A-Z0-9_]+$' }), message: Type.String() }),
  failedAt: IsoTime,
  /**
   * Set on a summary (reason `MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED`): the dead letters of one source partition past its
   * tenant's cap, folded into this one letter. No single message to replay: re-read `firstOffset`..`lastOffset` of the source.
   */
  folded: Type.Optional(DeadLettersFolded),
});
export type DeadLetter = Static<typeof DeadLetter>;
