import { MessagesStreamFallbackModes, MessagesStreamModes, type Message } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { isModError, type Codec } from '@mod/contracts';
import type { Logger } from '@mod/telemetry';
import { deleteGroups } from './admin.js';
import type { Kafka } from './client.js';
import { newConsumer, type Subscription } from './consumer.js';

/** A record of a followed topic. */
export interface FollowedRecord {
  partition: number;
  offset: string;
  key: string | null;
  /** Null for a tombstone. */
  value: Buffer | null;
  /** When it was written, ms since the epoch (the followed topics are written by our services, on our clocks). */
  timestamp: number;
}

export interface TopicFollower {
  /** Stops reading and deletes the follower's group. */
  stop(): Promise<void>;
  /**
   * Whether it follows the topic now: false from a failure of its stream (a broker away, the topic deleted, its
   * access revoked) until it has subscribed again. What a reader's readiness depends on: its index is stale meanwhile.
   */
  following(): boolean;
}

export interface FollowOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  /** Next offset per partition; a partition missing here is read from its earliest offset. */
  from: ReadonlyMap<number, string>;
  onRecord: (record: FollowedRecord) => Promise<void>;
  logger: Logger;
  /** Backoff before applying a record again after a retriable failure, doubling up to 10 s. Default 200. */
  retryDelayMs?: number;
}

/** Longest wait between two attempts at a record whose application failed for an outage, or at subscribing again. */
const MAX_RETRY_DELAY_MS = 10_000;

/** Waits that double from `first` up to {@link MAX_RETRY_DELAY_MS}: `next()` is the wait to take now. */
function doublingDelays(first: number): { next(): number; reset(): void } {
  let delay = first;
  return {
    next() {
      const now = delay;
      delay = Math.min(MAX_RETRY_DELAY_MS, delay * 2);
      return now;
    },
    reset() {
      delay = first;
    },
  };
}

/**
 * Reads every partition of a topic from the given offsets on, one record at a time, in order, without committing
 * (a follower keeps its own position: the bank and URL-list indexes of each scanner and fetcher, which note the
 * topic's end before loading PostgreSQL or a snapshot). Uses its own throwaway group (`groupId`), deleted at
 * stop. A record `onRecord` fails for an outage (a retriable `ModError`: the database away, its connection
 * terminated) is applied again, with a doubling backoff, until it applies or the follower stops: skipped, the
 * index would lack the change (a whole bulk import) until a restart. Any other failure is logged and the record
 * skipped: the stream must not stall on one bad change.
 *
 * A stream that fails (the client's own retries spent: a broker away, the topic deleted, access revoked) is
 * subscribed again, with a doubling backoff, from the record after the last one read, `following()` false
 * meanwhile: left stopped, the index would serve its state of that moment for ever while its service said ready.
 * A topic deleted and created again (a new topic id) is followed from its start: its records are all new.
 */
export async function followTopic(o: FollowOptions): Promise<TopicFollower> {
  /** Next offset per partition: where a new subscription starts. */
  const next = new Map(o.from);
  let topicId: string | undefined;
  const subscribe = async (): Promise<Subscription> => {
    const consumer = newConsumer(o.kafka, o.groupId, {
      // Changes apply quickly, and stop() does not wait long for an idle fetch.
      maxWaitTime: 500,
      maxBytesPerPartition: 8 * 1024 * 1024,
    });
    try {
      const id = (await consumer.metadata({ topics: [o.topic] })).topics.get(o.topic)?.id;
      if (id === undefined) throw new Error(`topic ${o.topic} not found`);
      if (topicId !== undefined && id !== topicId) {
        o.logger.warn(
          { topic: o.topic },
          'followed topic was deleted and created again; following it from its start',
        );
        next.clear();
      }
      topicId = id;
      const stream = await consumer.consume({
        topics: [o.topic],
        mode: MessagesStreamModes.MANUAL,
        // A partition without an offset in `next` is read from its start (the client's default is its end).
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        offsets: [...next].map(([partition, offset]) => ({
          topic: o.topic,
          partition,
          offset: BigInt(offset),
        })),
        autocommit: false,
      });
      return { consumer, stream };
    } catch (err) {
      await consumer.close(true).catch(() => undefined);
      throw err;
    }
  };
  let current: Subscription | undefined = await subscribe();
  let stopping = false;
  const stopped = new AbortController();
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopped.signal }).catch(() => undefined);
  /** Applies one record: again after an outage, skipped (logged) when it can never apply. */
  const apply = async (record: FollowedRecord): Promise<void> => {
    const delays = doublingDelays(o.retryDelayMs ?? 200);
    for (;;) {
      try {
        await o.onRecord(record);
        return;
      } catch (err) {
        if (!(isModError(err) && err.retriable)) {
          o.logger.error({ err, topic: o.topic, offset: record.offset }, 'record not applied; skipped');
          return;
        }
        if (stopping) return;
        const delayMs = delays.next();
        o.logger.warn(
          { err, topic: o.topic, offset: record.offset, delayMs },
          'record not applied; trying again',
        );
        await pause(delayMs);
        if (stopping) return;
      }
    }
  };
  /** Reads a subscription's stream until it ends (stop) or fails (thrown). */
  const read = async ({ stream }: Subscription): Promise<void> => {
    for await (const raw of stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
      const record: FollowedRecord = {
        partition: raw.partition,
        offset: raw.offset.toString(),
        key: raw.key === undefined || raw.key === null ? null : raw.key.toString('utf8'),
        value: raw.value === undefined || raw.value === null || raw.value.length === 0 ? null : raw.value,
        timestamp: Number(raw.timestamp),
      };
      await apply(record);
      if (stopping) return;
      next.set(record.partition, (raw.offset + 1n).toString());
    }
  };
  const reading = (async () => {
    const delays = doublingDelays(o.retryDelayMs ?? 200);
    while (!stopping) {
      if (current !== undefined) {
        try {
          await read(current);
          if (stopping) break;
          o.logger.error({ topic: o.topic }, 'followed topic ended; subscribing again');
        } catch (err) {
          if (stopping) break;
          o.logger.error({ err, topic: o.topic }, 'topic follower failed; subscribing again');
        }
        const failed = current;
        current = undefined;
        await failed.consumer.close(true).catch(() => undefined);
      }
      await pause(delays.next());
      if (stopping) break;
      try {
        current = await subscribe();
        delays.reset();
        o.logger.info({ topic: o.topic, offsets: [...next] }, 'following the topic again');
      } catch (err) {
        o.logger.warn({ err, topic: o.topic }, 'could not follow the topic; trying again');
      }
    }
    await current?.consumer.close(true).catch(() => undefined);
  })();
  return {
    following: () => !stopping && current !== undefined,
    async stop() {
      stopping = true;
      stopped.abort();
      await current?.stream.close().catch(() => undefined);
      await reading;
      await deleteGroups(o.kafka, [o.groupId]);
    },
  };
}

/**
 * Follows a compacted topic of change messages (bank changes, URL-list changes) as {@link followTopic} does, each
 * message decoded with `codec`: a tombstone is skipped, and so is a message that does not decode, logged as a
 * malformed `what` (one bad change must not stop an index from following the rest).
 */
export function followChanges<T>(
  o: Omit<FollowOptions, 'onRecord'> & {
    codec: Codec<T>;
    what: string;
    onChange: (change: T, record: FollowedRecord) => Promise<void>;
  },
): Promise<TopicFollower> {
  const { codec, what, onChange, ...follow } = o;
  return followTopic({
    ...follow,
    onRecord: async (record) => {
      if (record.value === null) return;
      let change: T;
      try {
        change = codec.decode(record.value);
      } catch (err) {
        o.logger.error({ err, offset: record.offset }, `malformed ${what} ignored`);
        return;
      }
      await onChange(change, record);
    },
  });
}
