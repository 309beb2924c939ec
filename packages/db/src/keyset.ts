/*
 * Keyset pagination over a (time, id) key, as the paged reads do it (orders, review queues, reports, bank
 * proposals): a page is the rows past a cursor, the key of the previous page's last row, in the key's order.
 */

/**
 * The end of a keyset-paginated read's SQL, its last condition and what follows: the rows past the cursor in
 * parameters `$p` (its time; null: the first page) and `$p+1` (its id) in the order `direction` of
 * (`time`, `id`), at most `$p+2` of them. The three parameters are `keysetArgs`.
 */
export function keysetPage(time: string, id: string, direction: 'asc' | 'desc', p: number): string {
  const past = direction === 'asc' ? '>' : '<';
  return `($${p}::timestamptz is null or (${time}, ${id}) ${past} ($${p}::timestamptz, $${p + 1}::uuid))
     order by ${time} ${direction}, ${id} ${direction} limit $${p + 2}`;
}

/** The parameters of `keysetPage`: the cursor's time and id (none: the first page), then the page size. */
export function keysetArgs(
  time: Date | string | undefined,
  id: string | undefined,
  limit: number,
): [Date | string | null, string | null, number] {
  return [time ?? null, id ?? null, limit];
}
