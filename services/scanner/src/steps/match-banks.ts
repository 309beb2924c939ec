import type { Hit } from '@mod/contracts';
import type { MediaHashes, PerceptualHashes } from '@mod/hashing';
import type { BankMatcher, MatchResult, MatchSignals } from '@mod/matcher';
import type { BankMeta } from '../bank-sync.js';
import type { ScanStore } from '../scan-store.js';
import { standingHits, type FoundHit } from './frame-hits.js';

const EXACT_SIGNALS: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha256']);

/** The bank index as the scan step uses it (the scanner's `BankSync`; a plain matcher in unit tests). */
export interface Banks {
  matcher(): Pick<BankMatcher, 'match'>;
  meta(bankId: string): BankMeta | undefined;
}

/** The perceptual signals of one frame, as the matcher takes them. */
function perceptual(f: PerceptualHashes): MatchSignals {
  return {
    pdq: { hash: f.pdq, quality: f.pdqQuality },
    ...(f.pdqDihedral === undefined ? {} : { pdqDihedral: f.pdqDihedral }),
    ...(f.pdqTrimmed ? { pdqTrimmed: { hash: f.pdqTrimmed.pdq, quality: f.pdqTrimmed.pdqQuality } } : {}),
    blockhash: f.blockhash,
  };
}

/** Every hit of the file's signals and of each frame hashed after the first, each perceptual one with its frame. */
function findHits(h: MediaHashes, matcher: Pick<BankMatcher, 'match'>): FoundHit[] {
  const found: FoundHit[] = [];
  const add = (result: MatchResult, frame?: number) => {
    for (const [hits, negative] of [
      [result.hits, false],
      [result.negativeHits, true],
    ] as const)
      for (const x of hits) {
        const perFrame = frame !== undefined && !EXACT_SIGNALS.has(x.signal);
        found.push(perFrame ? { ...x, negative, frame } : { ...x, negative });
      }
  };
  add(
    matcher.match({ ...perceptual(h), md5: h.md5, sha1: h.sha1, sha256: h.sha256 }),
    h.frames === undefined ? undefined : 0,
  );
  for (const f of h.frames?.hashed.slice(1) ?? []) add(matcher.match(perceptual(f)), f.index);
  return found;
}

/**
 * Matches every signal of the media (PDQ with its dihedral and trimmed variants, blockhash, exact digests), and the
 * perceptual ones of every distinct frame hashed of a multi-frame file, against the banks. Hits carry their bank's
 * name and action policy, the entry's category, whether the bank is negative (known-benign content, which policy
 * uses to suppress; on a frame, only that frame's hits: `standingHits`) and the frame they are on.
 */
export async function matchBanks(
  h: MediaHashes,
  banks: Banks,
  store: Pick<ScanStore, 'entryCategories'>,
): Promise<Hit[]> {
  const all = standingHits(findHits(h, banks.matcher()));
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
      ...(x.frame === undefined ? {} : { frame: x.frame }),
    };
  });
}
