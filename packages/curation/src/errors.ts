import { PermanentError } from '@mod/contracts';

export const CurationErrorCode = {
  /** No bank of that name (or id). */
  UnknownBank: 'MOD_ERR_CURATION_UNKNOWN_BANK',
  /** `--strict` import of a file with at least one bad line: nothing was imported. */
  StrictRejected: 'MOD_ERR_CURATION_STRICT_REJECTED',
  /** The list has no valid line at all; a replace import would empty the bank, so nothing was imported. */
  EmptyList: 'MOD_ERR_CURATION_EMPTY_LIST',
  /** A replace import (not forced) with more bad lines than good ones: nothing was imported. */
  MostlyBadLines: 'MOD_ERR_CURATION_MOSTLY_BAD_LINES',
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

/**
 * The checks a list import makes once the whole file is read, before anything changes: a strict import takes no
 * bad line; a replace (the file is the whole bank or list: whatever it lacks is removed) needs a valid line, and
 * unless forced, more good lines than bad ones. A file mostly unreadable (its publisher's format changed, a wrong
 * format named, a truncated or mangled download) would otherwise shrink a bank to the few lines that still read,
 * and scanners and fetchers stop matching everything else at once.
 */
export function checkListImport(
  what: 'bank' | 'list',
  request: { mode?: 'replace' | 'append'; strict?: boolean; force?: boolean },
  read: { lines: number; badLines: number },
): void {
  const o = { ...read, mode: request.mode ?? 'replace', force: request.force === true };
  if (request.strict === true && o.badLines > 0)
    throw new CurationError(
      CurationErrorCode.StrictRejected,
      `${o.badLines} bad line(s); strict import rejected the file`,
    );
  if (o.mode !== 'replace') return;
  const good = o.lines - o.badLines;
  if (good === 0)
    throw new CurationError(
      CurationErrorCode.EmptyList,
      `the list has no valid line; the ${what} was left as it is`,
    );
  if (!o.force && o.badLines > good)
    throw new CurationError(
      CurationErrorCode.MostlyBadLines,
      `${o.badLines} of ${o.lines} lines are bad: replacing the ${what} with the ${good} good one(s) would remove the rest; the ${what} was left as it is (check the file and its format, append, or force the replace)`,
    );
}
