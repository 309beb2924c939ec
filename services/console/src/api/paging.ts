/** One page of a keyset-paged list: its items and the key of the next page (null after the last). */
export type KeyedPage<T> = { items: readonly T[]; next: string | null };

/**
 * Every item of a keyset-paged list, page after page, until the last page or `maxItems` (pages are read whole, so
 * a little more may come). `read(after)` reads the page after the key `after` (the first page without one).
 */
export async function readPages<T>(
  read: (after: string | undefined) => Promise<KeyedPage<T>>,
  maxItems: number,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  do {
    const page = await read(after);
    out.push(...page.items);
    after = page.next ?? undefined;
  } while (after !== undefined && out.length < maxItems);
  return out;
}
