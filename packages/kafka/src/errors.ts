/** The messages of an error and of everything it wraps. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const nested = (err as { errors?: unknown[] }).errors ?? [];
  const cause = (err as { cause?: unknown }).cause;
  return [err.message, ...nested.map(errorText), cause === undefined ? '' : errorText(cause)].join(' | ');
}
