import type { Message } from '@platformatic/kafka';
import { isModError } from '@mod/contracts';

/** What a pipeline step decided for one message. The runner owns offsets, dead letters and retries. */
export type StepOutcome =
  | { kind: 'ok' }
  /** Nothing to do (e.g. a replay already applied); the offset moves on. */
  | { kind: 'drop'; reason: string }
  /** The input can never succeed: dead-letter it with a reason code and move on. */
  | { kind: 'dlq'; code: string; message: string }
  /** An outage (broker, database): do not commit; back off and try the same message again. */
  | { kind: 'retry'; error: unknown }
  /**
   * Not yet (media waiting for its verdict): back off as for a retry and try the same message again, holding none
   * of its value meanwhile. The step is then given the message without it (`valueReleased`) and answers `reread`
   * once it needs it; a runner that cannot read a record again treats this as a retry and keeps the value.
   */
  | { kind: 'await'; error: unknown }
  /** The step needs the value of a message given without it (`valueReleased`): read it again from the topic now. */
  | { kind: 'reread' };

export const ok: StepOutcome = { kind: 'ok' };

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** Record headers (the first value of a repeated header). */
  headers: Readonly<Record<string, Buffer>>;
  /**
   * When the record was written, ms since the epoch: on a partner's topic the broker's append time (partners'
   * topics are `LogAppendTime`, so a partner's producer cannot set it); elsewhere our own producer's clock.
   */
  timestamp: number;
  /**
   * Set instead of a record's content when the record stands for a batch the client would not read (compressed past
   * its inflation budget or undecodable; a record of more than 64 headers): why. The runner dead-letters it without
   * running the step; its offset is the batch's last, so committing after it moves past the whole batch.
   */
  refused?: string;
  /**
   * Set when `value` is null because the runner let it go while the step awaited (`await`): answer `reread` to
   * have it read again from the topic.
   */
  valueReleased?: true;
}

export type Step = (message: ConsumedMessage) => Promise<StepOutcome>;

/** A thrown error becomes an outcome here, decided once: retriable errors retry, bad input dead-letters. */
export function outcomeOfError(err: unknown): Extract<StepOutcome, { kind: 'dlq' | 'retry' }> {
  if (isModError(err) && !err.retriable) return { kind: 'dlq', code: err.code, message: err.message };
  return { kind: 'retry', error: err };
}

/** The runner's view of a record: key as text, the first value of each header. */
export function consumedOf(raw: Message<Buffer, Buffer, Buffer, Buffer>): ConsumedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of raw.headerEntries) {
    const key = name.toString('utf8');
    if (!(key in headers)) headers[key] = value;
  }
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset.toString(),
    key: raw.key === undefined || raw.key === null ? null : raw.key.toString('utf8'),
    value: raw.value === undefined || raw.value === null ? null : raw.value,
    headers,
    timestamp: Number(raw.timestamp),
    ...(raw.refused === undefined ? {} : { refused: raw.refused }),
  };
}

/**
 * Seconds since a record's timestamp (ms since the epoch); 0 for a clock ahead of ours or no timestamp. Only
 * timestamps a partner cannot choose reach it (see `ConsumedMessage.timestamp`); a future one still counts 0,
 * not negative, so a producer's clock running ahead can lower an age but never make it fire an alert.
 */
export function messageAgeSeconds(timestampMs: number, nowMs = Date.now()): number {
  return Number.isFinite(timestampMs) && timestampMs > 0 ? Math.max(0, (nowMs - timestampMs) / 1000) : 0;
}
