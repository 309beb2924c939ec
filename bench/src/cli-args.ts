/** Command-line options of the benchmark scripts that take a few flags. */

/** The positive integer after `name` in `argv`, `fallback` when `name` is absent; throws when it is not one. */
export function positiveIntArg(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}
