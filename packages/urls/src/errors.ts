import { PermanentError } from '@mod/contracts';

/**
 * Stable error codes of `@mod/urls`. Documented in the package README; a retired code is never reused.
 * All of them describe bad input (never retriable): dead-letter the input with the code and move on.
 */
export const UrlErrorCode = {
  /** The text is not a URL at all (WHATWG parser refused it), or it is empty. */
  Invalid: 'MOD_ERR_URL_INVALID',
  /** Longer than the 8,192-character limit the event contracts allow. */
  TooLong: 'MOD_ERR_URL_TOO_LONG',
  /** A scheme other than http or https. */
  Scheme: 'MOD_ERR_URL_SCHEME',
  /** The host is missing, empty after removing trailing dots, or not usable as a name. */
  Host: 'MOD_ERR_URL_HOST',
  /** A URL-list entry whose pattern does not fit its kind (e.g. a domain entry that is a public suffix). */
  ListEntry: 'MOD_ERR_URL_LIST_ENTRY_INVALID',
  /** Blocklist feed input that cannot be rendered (bad serial, missing change history, bad zone name). */
  Feed: 'MOD_ERR_URL_FEED_INVALID',
  /** Fetcher options out of range (checked once, at construction). */
  FetcherOptions: 'MOD_ERR_URL_FETCHER_OPTIONS',
} as const;
export type UrlErrorCode = (typeof UrlErrorCode)[keyof typeof UrlErrorCode];

/** Any error raised on purpose by `@mod/urls`; `code` is one of {@link UrlErrorCode}. */
export class UrlError extends PermanentError<UrlErrorCode> {}
