export { MatcherError, MatcherErrorCode, SnapshotError } from './errors.js';
export { popcount32, hexToWords, wordsToHex, isHex, parseHexWordsInto, hammingDistanceHex } from './bits.js';
export { HammingIndex } from './hamming-index.js';
export { SearchHits } from './search-hits.js';
export type { HammingIndexOptions } from './hamming-layout.js';
export { ExactHashSet, type ExactHashSetOptions } from './exact-set.js';
export { StreamReader, StreamWriter, type SnapshotSink, type SnapshotSource } from './snapshot-stream.js';
export { BankMatcher } from './bank-matcher.js';
export {
  Signal,
  SIGNAL_HEX_LENGTH,
  DEFAULT_PDQ_RADIUS,
  DEFAULT_BLOCKHASH_RADIUS,
  DEFAULT_MIN_PDQ_QUALITY,
  type BankEntry,
  type BankConfig,
  type BankChange,
  type MatchSignals,
  type MatchOptions,
  type MatchVia,
  type MatchHit,
  type MatchResult,
  type BankMatcherOptions,
  type BankMatcherStats,
} from './bank-model.js';
export { validateEntry } from './bank-change-validation.js';
export { parseBankList, parseBankListBatches } from './bank-list-parser.js';
export type { BankListRecord, BankListFormat, BankListOptions } from './bank-list-parser.js';
export { BankListErrorCode, isDegenerateHash, type BankListEntry } from './bank-list-entry.js';
export { splitLines, splitLineBatches, type BankListInput, type RawLine } from './bank-list-lines.js';
