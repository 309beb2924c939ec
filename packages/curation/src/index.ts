export { CurationError, CurationErrorCode } from './errors.js';
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
  type ImportReport,
  type LineError,
  type BankSettings,
} from './import.js';
