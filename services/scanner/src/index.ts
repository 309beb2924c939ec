export { scannerSpec } from './config.js';
export { createScannerService, type ScannerService, type ScannerConfig } from './service.js';
export { createScanStep, decide, SCANNER_VERSION, type ScanStepDeps } from './scan-step.js';
export { buildBankIndex, type BankIndex, type MediaSignals } from './bank-index.js';
export { deterministicUuid } from './ids.js';
