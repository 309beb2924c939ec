export {
  createKafka,
  createProducer,
  ensureTopics,
  pingKafka,
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
export { readTopic, type ReadRecord } from './testing.js';
