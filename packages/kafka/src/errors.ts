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
