import { ModError } from '@mod/contracts';

export const CurationErrorCode = {
  /** No bank of that name (or id). */
  UnknownBank: 'MOD_ERR_CURATION_UNKNOWN_BANK',
  /** `--strict` import of a file with at least one bad line: nothing was imported. */
  StrictRejected: 'MOD_ERR_CURATION_STRICT_REJECTED',
  /** The list has no valid line at all; a replace import would empty the bank, so nothing was imported. */
  EmptyList: 'MOD_ERR_CURATION_EMPTY_LIST',
} as const;
export type CurationErrorCode = (typeof CurationErrorCode)[keyof typeof CurationErrorCode];

export class CurationError extends ModError {
  constructor(code: CurationErrorCode, message: string) {
    super(code, message, { retriable: false });
  }
}
