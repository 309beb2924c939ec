import { Consumer, type ConsumerOptions, type MessagesStream } from '@platformatic/kafka';
import type { Kafka } from './client.js';

/** The stream of one subscription, as every reader here takes it: keys, values and headers as bytes. */
export type RawStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

/** One subscription: its client and its stream. */
export interface Subscription {
  consumer: Consumer;
  stream: RawStream;
}

/** What a reader tunes of its client; the rest is said once, by {@link newConsumer}. */
export type ConsumerTuning = Omit<
  ConsumerOptions<Buffer, Buffer, Buffer, Buffer>,
  'clientId' | 'bootstrapBrokers' | 'groupId' | 'autocommit' | 'sessionTimeout' | 'heartbeatInterval'
>;

/**
 * A consumer client on `kafka`'s connection as every reader here has it: the client never commits on its own (the
 * runner commits what its steps finished, a follower keeps its own position, a reader none), and a member that
 * stops heartbeating (every second) is replaced within 10 s, so a crashed worker's partitions move on quickly.
 */
export function newConsumer(kafka: Kafka, groupId: string, tuning: ConsumerTuning = {}): Consumer {
  return new Consumer({
    ...kafka.base,
    groupId,
    autocommit: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    ...tuning,
  });
}
