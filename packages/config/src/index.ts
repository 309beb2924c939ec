export { ConfigError } from './errors.js';
export {
  env,
  loadConfig,
  MAX_TIMER_MS,
  describeConfig,
  type EnvField,
  type ConfigOf,
  type Spec,
} from './env.js';
export {
  commonSpec,
  databaseSpec,
  deadLettersSpec,
  decodeMarksSpec,
  kafkaSpec,
  partnerTopicsSpec,
  topicSpec,
  tracingSpec,
} from './common.js';
