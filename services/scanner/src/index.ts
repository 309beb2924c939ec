export { scannerSpec } from './config.js';
export { createScannerService, type ScannerService, type ScannerConfig } from './service.js';
export { createScanStep, SCANNER_VERSION, type ScanStepDeps } from './scan-step.js';
export {
  createBankSync,
  readSnapshotFile,
  writeSnapshotFile,
  type BankSync,
  type BankMeta,
} from './bank-sync.js';
export { createPgScanStore, type ClaimedSubmission, type ScanStore } from './scan-store.js';
