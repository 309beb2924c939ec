/**
 * Test and benchmark support for the whole workspace. Private and never a production dependency: a package
 * names it in `devDependencies` only, and no `src/` file outside tests imports it.
 */
export { createTestSchema, dropSchema, TEST_DATABASE_URL, type TestDatabase } from './test-schema.js';
export { credentialsFromEnvironment, serviceEnvironment, testBrokers } from './kafka-credentials.js';
export { readTopic } from './topics.js';
export { uploadedMediaMessage, type UploadedMediaOptions } from './media-messages.js';
export { seededRandom } from './random.js';
export { configProblems } from './config-problems.js';
export { decodeProcesses } from './decode-processes.js';
/**
 * Images that declare more than they hold (`pngDeclaring`, `interlaced16BitBomb`): kept in
 * `@mod/contracts/testing/declared-images`, where the tests of `@mod/hashing` reach them too without a dependency
 * cycle.
 */
export {
  apngHidingDefault,
  interlaced16BitBomb,
  jpegWithScans,
  pngDeclaring,
  tiffDeclaring,
} from '@mod/contracts/testing/declared-images';
export { documentedErrorCodes } from '@mod/contracts/testing/documented-error-codes';
export { seedTenants, setTenantDisabled, tenantWithKey, whileDisabled, type TestTenant } from './tenants.js';
export {
  decisionWritten,
  moveSealedEvidence,
  reportHoldBy,
  testOrder,
  testReport,
  type DecisionWritten,
} from '@mod/db/testing';
export type { ReadRecord } from '@mod/kafka';
