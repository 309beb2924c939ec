/**
 * Test and benchmark support for the whole workspace. Private and never a production dependency: a package
 * names it in `devDependencies` only, and no `src/` file outside tests imports it.
 */
export { createTestSchema, dropSchema, TEST_DATABASE_URL, type TestDatabase } from './test-schema.js';
export { credentialsFromEnvironment, serviceEnvironment, testBrokers } from './kafka-credentials.js';
export { readTopic } from './topics.js';
export { uploadedMediaMessage, type UploadedMediaOptions } from './media-messages.js';
export { seededRandom } from './random.js';
export {
  apngHidingDefault,
  interlaced16BitBomb,
  jpegWithScans,
  pngDeclaring,
  tiffDeclaring,
} from './images.js';
export { documentedErrorCodes } from '@mod/contracts/documented-error-codes';
export { seedTenants, tenantWithKey, type TestTenant } from './tenants.js';
export { moveSealedEvidence, testOrder } from '@mod/db/testing';
export type { ReadRecord } from '@mod/kafka';
