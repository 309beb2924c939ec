import { ModError } from '@mod/contracts';

/** The messages of an error and of everything it wraps. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  const cause = (err as { cause?: unknown }).cause;
  return [err.message, ...nested.map(errorText), cause === undefined ? '' : errorText(cause)].join(' | ');
}

/** Whether an error (or one it wraps) is the broker's protocol error `apiId` (numeric `code`). */
export function isProtocolError(err: unknown, apiId: string, code: number, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as { apiId?: unknown; apiCode?: unknown; errors?: unknown; cause?: unknown };
  if (e.apiId === apiId || e.apiCode === code) return true;
  const nested = Array.isArray(e.errors) ? (e.errors as unknown[]) : [];
  return [...nested, e.cause].some((inner) => isProtocolError(inner, apiId, code, depth + 1));
}

/**
 * The broker's refusals of the records themselves (MESSAGE_TOO_LARGE 10, RECORD_LIST_TOO_LARGE 18, INVALID_RECORD
 * 87, CORRUPT_MESSAGE 2), anywhere in the error or what it wraps: sending fewer records at once may get them
 * through. Any other failure (no connection, a timeout, a refused authorization) would fail a smaller send alike.
 */
export function isRecordRefusal(err: unknown): boolean {
  return (
    isProtocolError(err, 'MESSAGE_TOO_LARGE', 10) ||
    isProtocolError(err, 'RECORD_LIST_TOO_LARGE', 18) ||
    isProtocolError(err, 'INVALID_RECORD', 87) ||
    isProtocolError(err, 'CORRUPT_MESSAGE', 2)
  );
}

/**
 * A send the broker did not take whole (`MOD_ERR_KAFKA_PRODUCE`): which of its records it acknowledged, as the
 * producer read the broker's answer for each partition. Records the broker may have taken without saying so (the
 * connection lost before its answer) count as not acknowledged. `cause` is the client's error of the request that
 * failed last, so `isRecordRefusal` classifies it as before.
 */
export class ProduceError extends ModError {
  /** One flag per record of the send, in the order sent: whether the broker acknowledged it. */
  readonly acknowledged: readonly boolean[];

  constructor(message: string, acknowledged: readonly boolean[], cause: unknown) {
    super('MOD_ERR_KAFKA_PRODUCE', message, { retriable: true, cause });
    this.acknowledged = acknowledged;
  }

  /** How many of the send's records the broker acknowledged. */
  get acknowledgedCount(): number {
    return this.acknowledged.filter(Boolean).length;
  }

  /** How many of the send's records, from the first, the broker acknowledged before the first it did not. */
  get acknowledgedPrefix(): number {
    const first = this.acknowledged.indexOf(false);
    return first === -1 ? this.acknowledged.length : first;
  }
}

/**
 * A send that did not end within the producer's deadline (`sendDeadlineMs`; a broker down or unreachable): the
 * caller is answered instead of waiting for the client's retries of it and of every send queued before it. Retriable,
 * `MOD_ERR_KAFKA_PRODUCE` like any failed send: records not yet sent are not sent any more; those of a request under
 * way when it passed may still reach the topic (as with a connection lost before the broker's answer), so a caller
 * sends them again (at least once, never lost).
 */
export class ProduceDeadlineError extends ProduceError {
  constructor(
    readonly deadlineMs: number,
    acknowledged: readonly boolean[],
    cause: unknown,
  ) {
    super(`producing failed: not done within ${deadlineMs} ms (broker unreachable?)`, acknowledged, cause);
  }
}

/**
 * The partitions (`topic:partition`) whose part of a failed produce request the broker acknowledged: those of the
 * brokers that answered without error (`produced.offsets`, as the client attaches them to its error) and those
 * answered with error code 0 in an answer that refused another partition (the response a `ResponseError` carries).
 * A partition's part of one request is one record batch, appended whole or not at all.
 */
export function acknowledgedPartitions(err: unknown, into = new Set<string>(), depth = 0): Set<string> {
  if (depth > 8 || typeof err !== 'object' || err === null) return into;
  const e = err as {
    produced?: { offsets?: { topic?: unknown; partition?: unknown }[] };
    response?: {
      responses?: { name?: unknown; partitionResponses?: { index?: unknown; errorCode?: unknown }[] }[];
    };
    errors?: unknown;
    cause?: unknown;
  };
  for (const o of Array.isArray(e.produced?.offsets) ? e.produced.offsets : [])
    if (typeof o.topic === 'string' && typeof o.partition === 'number') into.add(`${o.topic}:${o.partition}`);
  for (const t of Array.isArray(e.response?.responses) ? e.response.responses : [])
    for (const p of Array.isArray(t.partitionResponses) ? t.partitionResponses : [])
      if (typeof t.name === 'string' && typeof p.index === 'number' && p.errorCode === 0)
        into.add(`${t.name}:${p.index}`);
  for (const inner of [...(Array.isArray(e.errors) ? (e.errors as unknown[]) : []), e.cause])
    acknowledgedPartitions(inner, into, depth + 1);
  return into;
}
