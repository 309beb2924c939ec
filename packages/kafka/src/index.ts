export {
  closeKafka,
  createKafka,
  createServiceKafka,
  credentialsFromConfig,
  groupInstanceIdFor,
  pingKafka,
  type Kafka,
  type KafkaCredentials,
  type KafkaEnvConfig,
  type KafkaOptions,
} from './client.js';
export { createProducer, type OutgoingMessage, type Producer } from './producer.js';
export { isRecordRefusal, ProduceDeadlineError, ProduceError } from './errors.js';
export {
  aclResourcesOf,
  alterTopicConfig,
  applyAcls,
  deleteGroups,
  deleteTopics,
  ensureTopics,
  listTopics,
  reconcileTopics,
  removeAcls,
  requireTopics,
  STARTUP_TOPICS_WAIT_MS,
  topicConfigValue,
  topicEndOffsets,
  topicMaxMessageBytes,
  topicWriters,
  ANY_ACL,
  type AclResource,
  type EnsuredTopics,
  type EnsureTopicsOptions,
} from './admin.js';
export { largestMediaBytes, publishMedia, type MediaMessage } from './media.js';
export { createConsumerRunner, type ConsumerRunner, type ConsumerRunnerOptions } from './runner.js';
export {
  DEAD_LETTERS_FOLDED,
  DEAD_LETTERS_PER_SOURCE,
  DEAD_LETTERS_WINDOW_MS,
  MAX_FOLDED_PER_LETTER,
  MAX_FOLDED_WAITING,
  type DeadLetterBound,
} from './dead-letter-fold.js';
export { NO_TENANT } from './processing.js';
export {
  messageAgeSeconds,
  outcomeOfError,
  ok,
  type StepOutcome,
  type Step,
  type ConsumedMessage,
} from './step.js';
export { followChanges, followTopic, type FollowedRecord, type TopicFollower } from './follow.js';
export { removeUserQuotas, setUserQuotas, userQuotasOf, type UserQuotas } from './quotas.js';
export { createRelayLoop, publishOutboxRows, type OutboxRow, type RelayLoop } from './relay.js';
export {
  describeGroup,
  describeGroupMembers,
  readLastRecords,
  readRecordAt,
  readRecords,
  readToEnd,
  type GroupMemberView,
  type GroupView,
  type ReadRecord,
} from './inspect.js';
export {
  assertClientSupported,
  KafkaClientUnsupportedError,
  SUPPORTED_CLIENT_VERSION,
} from './client-internals.js';
