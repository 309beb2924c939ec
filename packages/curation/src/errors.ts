import { PermanentError } from '@mod/contracts';

export const CurationErrorCode = {
  /** No bank of that name (or id). */
  UnknownBank: 'MOD_ERR_CURATION_UNKNOWN_BANK',
  /** `--strict` import of a file with at least one bad line: nothing was imported. */
  StrictRejected: 'MOD_ERR_CURATION_STRICT_REJECTED',
  /** The list has no valid line at all; a replace import would empty the bank, so nothing was imported. */
  EmptyList: 'MOD_ERR_CURATION_EMPTY_LIST',
  /** No URL list (bank of signal type `url`) with that id or name. */
  UnknownUrlList: 'MOD_ERR_CURATION_UNKNOWN_URL_LIST',
  /** A bank of that name exists and is a hash bank, not a URL list. */
  NotUrlList: 'MOD_ERR_CURATION_NOT_URL_LIST',
  /** A URL-list entry with a missing or malformed field (kind, flags, category, note, id). */
  UrlEntryInvalid: 'MOD_ERR_CURATION_URL_ENTRY_INVALID',
  /** A URL-list line that is not JSON (jsonl format). */
  UrlLineJson: 'MOD_ERR_CURATION_URL_LINE_JSON',
  /** A URL-list line over 16 KiB; skipped without being buffered. */
  UrlLineTooLong: 'MOD_ERR_CURATION_URL_LINE_TOO_LONG',
  /** A URL-list line that is not valid UTF-8. */
  UrlLineEncoding: 'MOD_ERR_CURATION_URL_LINE_ENCODING',
} as const;
export type CurationErrorCode = (typeof CurationErrorCode)[keyof typeof CurationErrorCode];

/** Any error raised on purpose by `@mod/curation`; `code` is one of {@link CurationErrorCode}. */
export class CurationError extends PermanentError<CurationErrorCode> {}
