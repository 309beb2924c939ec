import type { Hit } from '@mod/contracts';
import type { MediaHashes } from '@mod/hashing';
import type { BankMatcher, MatchHit } from '@mod/matcher';
import type { BankMeta } from '../bank-sync.js';
import type { ScanStore } from '../scan-store.js';

/** The bank index as the scan step uses it (the scanner's `BankSync`; a plain matcher in unit tests). */
export interface Banks {
  matcher(): Pick<BankMatcher, 'match'>;
  meta(bankId: string): BankMeta | undefined;
}

/**
 * Matches every signal of the media (PDQ with its dihedral and trimmed variants, blockhash, exact digests)
 * against the banks. Hits carry their bank's name and action policy, the entry's category, and whether the bank
 * is negative (known-benign content, which policy uses to suppress).
 */
export async function matchBanks(
  h: MediaHashes,
  banks: Banks,
  store: Pick<ScanStore, 'entryCategories'>,
): Promise<Hit[]> {
  const result = banks.matcher().match({
    pdq: { hash: h.pdq, quality: h.pdqQuality },
    ...(h.pdqDihedral === undefined ? {} : { pdqDihedral: h.pdqDihedral }),
    ...(h.pdqTrimmed ? { pdqTrimmed: { hash: h.pdqTrimmed.pdq, quality: h.pdqTrimmed.pdqQuality } } : {}),
    blockhash: h.blockhash,
    md5: h.md5,
    sha1: h.sha1,
    sha256: h.sha256,
  });
  const all: (MatchHit & { negative: boolean })[] = [
    ...result.hits.map((x) => ({ ...x, negative: false })),
    ...result.negativeHits.map((x) => ({ ...x, negative: true })),
  ];
  if (all.length === 0) return [];
  const categories = await store.entryCategories(all.map((x) => x.entryId));
  return all.map((x) => {
    const meta = banks.meta(x.bankId);
    return {
      bankId: x.bankId,
      bankName: meta?.name ?? x.bankId,
      entryId: x.entryId,
      signal: x.signal,
      distance: x.distance,
      category: categories.get(x.entryId) ?? null,
      actionPolicy: meta?.actionPolicy ?? 'review',
      negative: x.negative,
    };
  });
}
