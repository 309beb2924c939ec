export { CurationError, CurationErrorCode } from './errors.js';
export { BANK_NAME_PATTERN, isBankName } from './bank-name.js';
export {
  importBankList,
  createBank,
  updateBankSettings,
  findBank,
  addEntries,
  removeEntries,
  type BankRef,
  type ImportListOptions,
  type InTransaction,
  type ImportRequest,
  type ImportProgress,
  type ImportReport,
  type LineError,
  type BankSettings,
} from './import.js';
export {
  createUrlList,
  findUrlList,
  updateUrlListSettings,
  type Curator,
  type NewUrlList,
  type UrlListSettings,
} from './url-lists.js';
export {
  validateUrlListEntry,
  MAX_CATEGORY_CHARS,
  MAX_NOTE_CHARS,
  type EntryError,
  type UrlListEntryRequest,
  type ValidUrlListEntry,
} from './url-list-entry.js';
export {
  addUrlListPatterns,
  removeUrlListPatterns,
  type AddReport,
  type RemoveReport,
  type UrlListRemoval,
} from './url-list-patterns.js';
export {
  importUrlList,
  UrlListFormats,
  MAX_URL_LIST_LINE_BYTES,
  type UrlListFormat,
  type UrlListImportReport,
  type UrlListImportRequest,
} from './url-list-import.js';
