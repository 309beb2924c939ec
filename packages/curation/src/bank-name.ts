/**
 * The name of a bank or URL list, wherever one is made (the API, modctl): 1-100 of `A-Za-z0-9._-`. It stands in
 * file names (an export's download), log lines and URLs as it is.
 */
export const BANK_NAME_PATTERN = '^[A-Za-z0-9._-]{1,100}$';

const BANK_NAME = new RegExp(BANK_NAME_PATTERN);

export function isBankName(name: string): boolean {
  return BANK_NAME.test(name);
}
