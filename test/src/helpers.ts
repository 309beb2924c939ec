/**
 * The e2e tests' shared helpers, one file per concern: a test's own world (topics, ACLs, schema) and the services'
 * settings (`world.ts`), the API app built in-process (`api-app.ts`), the in-process pipeline and its common scene (`pipeline-harness.ts`), test pictures and
 * uploads (`test-media.ts`), waiting and ordered clean-up (`waiting.ts`), counting rows and waiting for scans (`world-queries.ts`), reading topics (`topic-reads.ts`), and
 * partners on Kafka (`partners.ts`).
 */
export * from './world.js';
export * from './api-app.js';
export * from './pipeline-harness.js';
export * from './test-media.js';
export * from './waiting.js';
export * from './world-queries.js';
export * from './topic-reads.js';
export * from './partners.js';
