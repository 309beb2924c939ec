import { ListOffsetTimestamps, MessagesStreamModes, type Message } from '@platformatic/kafka';
import { ModError } from '@mod/contracts';
import { withAdmin, waitForLeaders } from './admin.js';
import type { Kafka } from './client.js';
import { newConsumer } from './consumer.js';

/** A record as read back by tests and operators' tools: key as text, the first value of each header. */
export interface ReadRecord {
  topic: string;
  key: string | null;
  value: Buffer | null;
  partition: number;
  offset: string;
  headers: Record<string, Buffer>;
  /** Set when the record stands for a compressed batch the client would not inflate (`ConsumedMessage.refused`). */
  refused?: string;
}

/**
 * Reads topics with a throwaway group until `until(records)` holds, `timeoutMs` passes or `signal` is aborted (an
 * operator's Ctrl-C), and returns what was read: from the earliest offsets, or from `from` (every partition of the
 * topics named there, or it is read from its earliest offset). Never commits.
 */
export async function readRecords(
  kafka: Kafka,
  topics: readonly string[],
  o: {
    until: (records: readonly ReadRecord[]) => boolean;
    timeoutMs: number;
    signal?: AbortSignal;
    groupPrefix?: string;
    from?: readonly { topic: string; partition: number; offset: bigint }[];
  },
): Promise<ReadRecord[]> {
  const consumer = newConsumer(kafka, `${o.groupPrefix ?? 'reader-'}${crypto.randomUUID()}`, {
    maxWaitTime: 200,
  });
  const records: ReadRecord[] = [];
  try {
    const stream = await consumer.consume({
      topics: [...topics],
      ...(o.from === undefined
        ? { mode: MessagesStreamModes.EARLIEST }
        : { mode: MessagesStreamModes.MANUAL, offsets: [...o.from] }),
      autocommit: false,
    });
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', stop);
      };
      const end = () => {
        stop();
        resolve();
      };
      const timer = setTimeout(end, o.timeoutMs);
      if (o.signal?.aborted === true) end();
      else o.signal?.addEventListener('abort', end, { once: true });
      stream.on('error', (err) => {
        stop();
        reject(err);
      });
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
        const headers: Record<string, Buffer> = {};
        for (const [k, v] of message.headerEntries) if (!(k.toString() in headers)) headers[k.toString()] = v;
        records.push({
          topic: message.topic,
          key: message.key === undefined || message.key === null ? null : message.key.toString('utf8'),
          value: message.value ?? null,
          partition: message.partition,
          offset: message.offset.toString(),
          headers,
          ...(message.refused === undefined ? {} : { refused: message.refused }),
        });
        if (o.until(records)) end();
      });
    });
    await stream.close();
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
  return records;
}

/** The earliest and the next offset of every partition of a topic. */
async function partitionRanges(
  kafka: Kafka,
  topic: string,
): Promise<Map<number, { earliest: bigint; end: bigint }>> {
  return withAdmin(kafka, async (admin) => {
    await waitForLeaders(admin, [topic]);
    const metadata = await admin.metadata({ topics: [topic] });
    const partitions = (metadata.topics.get(topic)?.partitions ?? []).map((_, i) => i);
    const at = async (timestamp: bigint) => {
      const [listed] = await admin.listOffsets({
        topics: [{ name: topic, partitions: partitions.map((i) => ({ partitionIndex: i, timestamp })) }],
      });
      return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
    };
    const [earliest, end] = await Promise.all([
      at(ListOffsetTimestamps.EARLIEST),
      at(ListOffsetTimestamps.LATEST),
    ]);
    return new Map(partitions.map((i) => [i, { earliest: earliest.get(i) ?? 0n, end: end.get(i) ?? 0n }]));
  });
}

/**
 * A `readRecords` condition: true once every partition of `waiting` (partition → its last offset, emptied as each
 * is reached) has been read to that offset. Each record is looked at once, as it arrives: looking through all read
 * so far at each one was quadratic, and a large topic took longer than the time allowed (it came back cut short).
 */
export function untilEnds(waiting: Map<number, bigint>): (read: readonly ReadRecord[]) => boolean {
  let seen = 0;
  return (read) => {
    for (; seen < read.length; seen++) {
      const x = read[seen] as ReadRecord;
      const last = waiting.get(x.partition);
      if (last !== undefined && BigInt(x.offset) >= last) waiting.delete(x.partition);
    }
    return waiting.size === 0;
  };
}

/**
 * The records of every partition of a topic from `startOf` its range up to its end when called (records written
 * meanwhile are not waited for), oldest first.
 */
async function readToEndFrom(
  kafka: Kafka,
  topic: string,
  startOf: (range: { earliest: bigint; end: bigint }) => bigint,
  o: { timeoutMs: number; signal?: AbortSignal; groupPrefix?: string; complete?: boolean },
): Promise<ReadRecord[]> {
  const ranges = await partitionRanges(kafka, topic);
  const waiting = new Map([...ranges].filter(([, r]) => r.end > startOf(r)).map(([p, r]) => [p, r.end - 1n]));
  if (waiting.size === 0) return [];
  const records = await readRecords(kafka, [topic], {
    timeoutMs: o.timeoutMs,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.groupPrefix === undefined ? {} : { groupPrefix: o.groupPrefix }),
    from: [...ranges].map(([partition, r]) => ({ topic, partition, offset: startOf(r) })),
    until: untilEnds(waiting),
  });
  if (o.complete === true && waiting.size > 0)
    throw new ModError(
      'MOD_ERR_KAFKA_READ_INCOMPLETE',
      `${topic}: read ${records.length} records ${o.signal?.aborted === true ? 'before the read was stopped' : `in ${o.timeoutMs} ms`} without reaching the end of partition(s) ${[...waiting.keys()].join(', ')}`,
      { retriable: true },
    );
  return records.filter((x) => BigInt(x.offset) < (ranges.get(x.partition)?.end ?? 0n));
}

/**
 * Every record a topic holds now: from the earliest offset each partition still keeps up to its end when called
 * (records written meanwhile are not waited for). For operators' tools (dead letters), not for hot paths. All of
 * them or none: a topic not read to its end within `timeoutMs`, or before `o.signal` is aborted, is
 * `MOD_ERR_KAFKA_READ_INCOMPLETE` (retriable).
 */
export function readToEnd(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
  o: { signal?: AbortSignal } = {},
): Promise<ReadRecord[]> {
  return readToEndFrom(kafka, topic, (r) => r.earliest, { timeoutMs, ...o, complete: true });
}

/**
 * The last `count` records of each partition of a topic when called (fewer where it keeps fewer), oldest first,
 * read with a throwaway group whose id starts with `groupPrefix` (a service reads under its own groups' ACL). All
 * of them or `MOD_ERR_KAFKA_READ_INCOMPLETE`, as `readToEnd`.
 */
export function readLastRecords(
  kafka: Kafka,
  topic: string,
  count: number,
  o: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<ReadRecord[]> {
  const back = BigInt(Math.max(0, Math.floor(count)));
  return readToEndFrom(kafka, topic, (r) => (r.end - back > r.earliest ? r.end - back : r.earliest), {
    timeoutMs: o.timeoutMs ?? 30_000,
    ...(o.groupPrefix === undefined ? {} : { groupPrefix: o.groupPrefix }),
    complete: true,
  });
}

/**
 * The record at `partition`/`offset` of a topic, or null when the topic no longer keeps it (retention; or a gap in
 * its offsets); `MOD_ERR_KAFKA_READ_INCOMPLETE` (retriable) when it was not reached within `timeoutMs`. Reads
 * from that offset only (the other partitions from their ends), however much the topic holds before it, with a
 * throwaway group whose id starts with `groupPrefix` (a service reads under its own groups' ACL).
 */
export async function readRecordAt(
  kafka: Kafka,
  topic: string,
  partition: number,
  offset: string,
  timeoutMs = 30_000,
  groupPrefix?: string,
): Promise<ReadRecord | null> {
  const ranges = await partitionRanges(kafka, topic);
  const range = ranges.get(partition);
  const at = BigInt(offset);
  if (range === undefined || at < range.earliest || at >= range.end) return null;
  const records = await readRecords(kafka, [topic], {
    timeoutMs,
    ...(groupPrefix === undefined ? {} : { groupPrefix }),
    from: [...ranges].map(([p, r]) => ({ topic, partition: p, offset: p === partition ? at : r.end })),
    until: (read) => read.some((x) => x.partition === partition && BigInt(x.offset) >= at),
  });
  // Nothing read at or past it in time (a slow broker) is not a record gone: the caller may try again.
  if (!records.some((x) => x.partition === partition && BigInt(x.offset) >= at))
    throw new ModError(
      'MOD_ERR_KAFKA_READ_INCOMPLETE',
      `${topic}: offset ${offset} of partition ${partition} not read in ${timeoutMs} ms`,
      { retriable: true },
    );
  return records.find((x) => x.partition === partition && x.offset === offset) ?? null;
}

/** A member of a consumer group as the coordinator sees it, and the partitions assigned to it. */
export interface GroupMemberView {
  memberId: string;
  /** Its static membership id (`KAFKA_GROUP_INSTANCE_ID`), or null for a dynamic member. */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignments: { topic: string; partitions: number[] }[];
}

/** A consumer group as its coordinator sees it: its state (`Stable`, `PreparingRebalance`, ...) and members. */
export interface GroupView {
  /** Empty when the group does not exist. */
  state: string;
  members: GroupMemberView[];
}

/**
 * A consumer group's state and its members with what each holds (operators and tests: which instance owns a
 * partition, whether a rebalance is under way).
 */
export async function describeGroup(kafka: Kafka, groupId: string): Promise<GroupView> {
  const groups = await withAdmin(kafka, (admin) => admin.describeGroups({ groups: [groupId] }));
  const group = groups.get(groupId);
  return {
    state: group?.state ?? '',
    members: [...(group?.members.values() ?? [])].map((m) => ({
      memberId: m.id,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignments: [...(m.assignments?.values() ?? [])].map((a) => ({
        topic: a.topic,
        partitions: [...a.partitions],
      })),
    })),
  };
}

/** The members of a consumer group and what each holds; empty when the group has none (or does not exist). */
export async function describeGroupMembers(kafka: Kafka, groupId: string): Promise<GroupMemberView[]> {
  return (await describeGroup(kafka, groupId)).members;
}
