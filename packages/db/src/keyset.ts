/*
 * Keyset pagination over a (time, id) key, as the paged reads do it (orders, review queues, reports, bank
 * proposals): a page is the rows past a cursor, the key of the previous page's last row, in the key's order.
 */

/** The key a paged read is ordered by: `alias.time`, `alias.id` of rows of `table` (a uuid id). */
export interface KeysetKey {
  /** The table the rows come from, where the cursor's row is looked up by its id. */
  table: string;
  /** The read's name for that table (`o` in `from orders o`; the table's own name without one). */
  alias: string;
  time: string;
  id: string;
}

/**
 * The end of a keyset-paginated read's SQL, its last condition and what follows: the rows past the cursor in
 * parameters `$p` (its time; null: the first page) and `$p+1` (its id) in the order `direction` of (time, id),
 * at most `$p+2` of them. The three parameters are `keysetArgs`.
 *
 * A cursor's time is its row's to the millisecond (a JavaScript Date, as the API writes it), but the column keeps
 * microseconds, and the rows one transaction writes share one `now()`. Compared as it is, every row of the
 * cursor's millisecond was left out after a descending page (a batch of orders issued together, paged two at a
 * time, lost the rest of the batch) and came again after an ascending one (the cursor's own row too: a review
 * queue of cases opened together paged round the same rows for ever). So the cursor's row, when it is still there
 * with that millisecond, gives the exact time; a cursor naming another row or another time (forged) falls back to
 * the time as given and learns nothing of that row.
 */
export function keysetPage(key: KeysetKey, direction: 'asc' | 'desc', p: number): string {
  const past = direction === 'asc' ? '>' : '<';
  const time = `${key.alias}.${key.time}`;
  const id = `${key.alias}.${key.id}`;
  const exact = `coalesce((select k.${key.time} from ${key.table} k where k.${key.id} = $${p + 1}::uuid
       and date_trunc('milliseconds', k.${key.time}) = $${p}::timestamptz), $${p}::timestamptz)`;
  return `($${p}::timestamptz is null or (${time}, ${id}) ${past} (${exact}, $${p + 1}::uuid))
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
