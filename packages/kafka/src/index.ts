export {
  applyAcls,
  createKafka,
  createProducer,
  createServiceKafka,
  credentialsFromConfig,
  ensureTopics,
  largestMediaBytes,
  listTopics,
  pingKafka,
  removeAcls,
  requireTopics,
  topicMaxMessageBytes,
  type EnsureTopicsOptions,
  type KafkaCredentials,
  type KafkaEnvConfig,
  type KafkaOptions,
  type Kafka,
  type Producer,
  type Admin,
  type Consumer,
} from './client.js';
export {
  createConsumerRunner,
  outcomeOfError,
  ok,
  type StepOutcome,
  type Step,
  type ConsumedMessage,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
} from './runner.js';
export { credentialsFromEnvironment, readTopic, serviceEnvironment, type ReadRecord } from './testing.js';
export { createRelayLoop, type RelayLoop } from './relay.js';
