import type { Queryable } from './pool.js';

/** A live entry found by `findEntriesByHash` or `findUrlListEntriesByKey`, with the bank or list it is in. */
export interface FoundEntry {
  bankId: string;
  bankName: string;
  /** `bank`: a hash bank's entry (`signal`); `url-list`: a URL list's entry (`kind`). */
  list: 'bank' | 'url-list';
  /** The hash's signal, or the URL entry's kind. */
  type: string;
  /** The hash (lower-case hex), or the URL entry's pattern as given. */
  value: string;
  /** A URL entry's canonical key (what it matches on); null for a hash. */
  canonicalKey: string | null;
  category: string | null;
  addedAt: string;
}

interface FoundRow {
  bank_id: string;
  bank_name: string;
  type: string;
  value: string;
  canonical_key: string | null;
  category: string | null;
  added_at: Date;
}

const toFound = (list: FoundEntry['list'], r: FoundRow): FoundEntry => ({
  bankId: r.bank_id,
  bankName: r.bank_name,
  list,
  type: r.type,
  value: r.value,
  canonicalKey: r.canonical_key,
  category: r.category,
  addedAt: r.added_at.toISOString(),
});

/**
 * The live entries of every hash bank whose value is exactly `hex` (any signal: an MD5, SHA-1, SHA-256, PDQ or
 * blockhash in hex), at most `limit`. One look-up of the live-entry index (bank, signal, value) per bank and
 * signal it holds, however large the banks.
 */
export async function findEntriesByHash(db: Queryable, hex: string, limit: number): Promise<FoundEntry[]> {
  const { rows } = await db.query<FoundRow>(
    `/* curator:find-entries-by-hash */ select b.id as bank_id, b.name as bank_name, e.signal as type, e.value,
       null as canonical_key, e.category, e.added_at
     from banks b cross join unnest(b.signal_types) as s(signal)
     join lateral (select * from bank_entries e
                   where e.bank_id = b.id and e.signal = s.signal and e.value = $1 and e.removed_at is null) e on true
     order by b.name, e.signal limit $2`,
    [hex.toLowerCase(), limit],
  );
  return rows.map((r) => toFound('bank', r));
}

/**
 * The live entries of every URL list with one of `keys` (kind and canonical key, as `canonicalPatternKey` of
 * `@mod/urls` makes them), at most `limit`. One look-up of the live-entry index (bank, kind, key) per list and key.
 */
export async function findUrlListEntriesByKey(
  db: Queryable,
  keys: readonly { kind: string; key: string }[],
  limit: number,
): Promise<FoundEntry[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<FoundRow>(
    `/* curator:find-url-entries-by-key */ select b.id as bank_id, b.name as bank_name, e.kind as type,
       e.pattern as value, e.canonical_key, e.category, e.added_at
     from banks b cross join unnest($1::text[], $2::text[]) as k(kind, key)
     join lateral (select * from url_list_entries e
                   where e.bank_id = b.id and e.kind = k.kind and text_key(e.canonical_key) = text_key(k.key)
                     and e.canonical_key = k.key and e.removed_at is null) e
       on true
     order by b.name, e.kind limit $3`,
    [keys.map((k) => k.kind), keys.map((k) => k.key), limit],
  );
  return rows.map((r) => toFound('url-list', r));
}
