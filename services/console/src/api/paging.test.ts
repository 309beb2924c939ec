import { describe, expect, it } from 'vitest';
import { readPages, type KeyedPage } from './paging.js';

/** A keyset-paged list of `total` numbers in pages of `size`, recording the keys it was asked for. */
function pagedList(total: number, size: number) {
  const asked: (string | undefined)[] = [];
  const read = (after: string | undefined): Promise<KeyedPage<number>> => {
    asked.push(after);
    const from = after === undefined ? 0 : Number(after);
    const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_v, i) => from + i);
    const end = from + items.length;
    return Promise.resolve({ items, next: end < total ? String(end) : null });
  };
  return { read, asked };
}

describe('readPages', () => {
  it('reads page after page, each after the key the previous one gave, to the last', async () => {
    const list = pagedList(250, 100);
    expect(await readPages(list.read, 1000)).toEqual(Array.from({ length: 250 }, (_v, i) => i));
    expect(list.asked).toEqual([undefined, '100', '200']);
  });

  it('stops once it holds maxItems or more (whole pages)', async () => {
    const list = pagedList(5000, 100);
    const items = await readPages(list.read, 1000);
    expect(items).toHaveLength(1000);
    expect(list.asked).toHaveLength(10);
    expect(await readPages(pagedList(5000, 300).read, 1000)).toHaveLength(1200);
  });

  it('reads one page of an empty or short list', async () => {
    const empty = pagedList(0, 100);
    expect(await readPages(empty.read, 1000)).toEqual([]);
    expect(empty.asked).toEqual([undefined]);
  });
});
