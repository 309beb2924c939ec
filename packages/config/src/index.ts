export { ConfigError } from './errors.js';
export { env, loadConfig, describeConfig, type EnvField, type ConfigOf, type Spec } from './env.js';
export { commonSpec, databaseSpec, kafkaSpec, partnerTopicsSpec, topicSpec, tracingSpec } from './common.js';
