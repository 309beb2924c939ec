/**
 * The e2e tests' shared helpers, one file per concern: a test's own world (topics, ACLs, schema) and the services'
 * settings (`world.ts`), the in-process pipeline and its common scene (`pipeline-harness.ts`), test pictures and
 * uploads (`test-media.ts`), waiting and ordered clean-up (`waiting.ts`), reading topics (`topic-reads.ts`), and
 * partners on Kafka (`partners.ts`).
 */
export * from './world.js';
export * from './pipeline-harness.js';
export * from './test-media.js';
export * from './waiting.js';
export * from './topic-reads.js';
export * from './partners.js';
