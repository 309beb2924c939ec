export {
  alterTopicConfig,
  applyAcls,
  closeKafka,
  createKafka,
  createProducer,
  createServiceKafka,
  credentialsFromConfig,
  deleteGroups,
  deleteTopics,
  ensureTopics,
  groupInstanceIdFor,
  largestMediaBytes,
  listTopics,
  pingKafka,
  publishMedia,
  removeAcls,
  requireTopics,
  STARTUP_TOPICS_WAIT_MS,
  topicEndOffsets,
  topicMaxMessageBytes,
  type EnsureTopicsOptions,
  type Kafka,
  type KafkaCredentials,
  type KafkaEnvConfig,
  type KafkaOptions,
  type MediaMessage,
  type OutgoingMessage,
  type Producer,
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
export { followTopic, type FollowedRecord, type TopicFollower } from './follow.js';
export { createRelayLoop, publishOutboxRows, type OutboxRow, type RelayLoop } from './relay.js';
export { credentialsFromEnvironment, readTopic, serviceEnvironment, type ReadRecord } from './testing.js';
export { describeGroupMembers, readRecordAt, readToEnd, type GroupMemberView } from './inspect.js';
