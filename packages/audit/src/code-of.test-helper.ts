/** The `code` of what `fn` throws (undefined if it does not throw): the tests compare error codes, not messages. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}
