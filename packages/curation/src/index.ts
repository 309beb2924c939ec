export { CurationError, CurationErrorCode } from './errors.js';
export {
  importBankList,
  createBank,
  updateBankSettings,
  findBank,
  addEntries,
  removeEntries,
  type ImportRequest,
  type ImportReport,
  type LineError,
  type BankSettings,
} from './import.js';
