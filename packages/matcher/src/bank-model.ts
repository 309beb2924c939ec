/** The matcher's data model: signals, bank entries and settings, bank changes, match queries and results. */
import { BLOCKHASH_MATCH_DISTANCE, PDQ_MATCH_DISTANCE, PDQ_MIN_QUALITY } from '@mod/contracts';

/** Signal types a bank entry can hold (same strings as `SignalType` in `@mod/contracts`). */
export const Signal = {
  Pdq: 'pdq',
  Blockhash: 'blockhash',
  Md5: 'md5',
  Sha1: 'sha1',
  Sha256: 'sha256',
} as const;
export type Signal = (typeof Signal)[keyof typeof Signal];

/** Hex digits per signal value. */
export const SIGNAL_HEX_LENGTH: Readonly<Record<Signal, number>> = {
  pdq: 64,
  blockhash: 64,
  md5: 32,
  sha1: 40,
  sha256: 64,
};

/** Every signal, in store order (the order `Signal` lists them). */
export const SIGNALS: readonly Signal[] = Object.values(Signal);

/** Signal index of each signal: its store's position, and the low 3 bits of an entry's location. */
export const SIGNAL_INDEX = Object.fromEntries(SIGNALS.map((signal, i) => [signal, i])) as Readonly<
  Record<Signal, number>
>;

/** Meta's recommended PDQ match distance. */
export const DEFAULT_PDQ_RADIUS = PDQ_MATCH_DISTANCE;
/** Default blockhash (256-bit) radius when a bank sets none. */
export const DEFAULT_BLOCKHASH_RADIUS = BLOCKHASH_MATCH_DISTANCE;
/** PDQ hashes below this quality are too flat to match reliably (Meta's guidance). */
export const DEFAULT_MIN_PDQ_QUALITY = PDQ_MIN_QUALITY;

/** One hash in one bank. `value` is hex (stored lowercase). */
export interface BankEntry {
  entryId: string;
  bankId: string;
  signal: Signal;
  value: string;
  /** PDQ quality 0..100 when known. */
  quality?: number;
}

/** Matching-relevant bank settings. Radii are inclusive Hamming distances. */
export interface BankConfig {
  bankId: string;
  enabled: boolean;
  /** A negative bank lists known-benign content: its hits are reported apart so policy can suppress. */
  negative: boolean;
  thresholds: { pdq?: number; blockhash?: number };
}

/** One bank change, as carried by the bank-changes topic. Applying a change twice is a no-op. */
export type BankChange =
  | { type: 'entry-added'; entry: BankEntry }
  | { type: 'entry-removed'; bankId: string; entryId: string }
  | { type: 'bank-upserted'; bank: BankConfig }
  | { type: 'bank-removed'; bankId: string };

/** The signals of one piece of media. Hex values; PDQ with its quality. */
export interface MatchSignals {
  pdq?: { hash: string; quality: number };
  /** The 8 dihedral PDQ variants (index k reported as `dihedral-<k>`); they share `pdq.quality`. */
  pdqDihedral?: readonly string[];
  /** PDQ of the image with borders trimmed. */
  pdqTrimmed?: { hash: string; quality: number };
  blockhash?: string;
  md5?: string;
  sha1?: string;
  sha256?: string;
}

export interface MatchOptions {
  /** PDQ queries below this quality are not matched. Default: the matcher's `minPdqQuality` (50). */
  minPdqQuality?: number;
}

/** Which query variant produced a hit. */
export type MatchVia = 'original' | 'trimmed' | `dihedral-${number}`;

export interface MatchHit {
  bankId: string;
  entryId: string;
  signal: Signal;
  distance: number;
  via: MatchVia;
}

/** Hits of enabled banks, split by the bank's negative flag; one hit per entry (its best distance). */
export interface MatchResult {
  hits: MatchHit[];
  negativeHits: MatchHit[];
}

export interface BankMatcherOptions {
  /** PDQ radius of a bank that sets none. Default 31. */
  defaultPdqRadius?: number;
  /** Blockhash radius of a bank that sets none. Default 10. */
  defaultBlockhashRadius?: number;
  /** Default floor on PDQ query quality. Default 50. */
  minPdqQuality?: number;
  /** Expected entries per signal (pre-sizes tables; avoids re-hashing during a bulk load). */
  capacity?: Partial<Record<Signal, number>>;
  /** Substring count of the PDQ index (see `HammingIndexOptions.chunks`). Default: by `capacity.pdq` (10 or 11). */
  pdqChunks?: number;
}

export interface BankMatcherStats {
  banks: number;
  entries: Record<Signal, number>;
}

/** A bank as the matcher holds it. */
export interface BankState {
  config: BankConfig;
  /** Position in the matcher's bank list: what an entry's payload names its bank by. */
  index: number;
  /** False while the bank is known only through its entries (no `bank-upserted` yet): not matched. */
  declared: boolean;
}
