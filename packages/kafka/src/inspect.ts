import { ListOffsetTimestamps } from '@platformatic/kafka';
import { readTopic, type ReadRecord } from './testing.js';
import { withAdmin, waitForLeaders, type Kafka } from './client.js';

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
 * Every record a topic holds now: from the earliest offset each partition still keeps up to its end when called
 * (records written meanwhile are not waited for). For operators' tools (dead letters), not for hot paths.
 */
export async function readToEnd(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const ranges = await partitionRanges(kafka, topic);
  const wanted = [...ranges].filter(([, r]) => r.end > r.earliest);
  if (wanted.length === 0) return [];
  const records = await readTopic(
    kafka,
    topic,
    (read) =>
      wanted.every(([partition, r]) =>
        read.some((x) => x.partition === partition && BigInt(x.offset) >= r.end - 1n),
      ),
    timeoutMs,
  );
  return records.filter((x) => BigInt(x.offset) < (ranges.get(x.partition)?.end ?? 0n));
}

/** The record at `partition`/`offset` of a topic, or null when the topic no longer keeps it (retention). */
export async function readRecordAt(
  kafka: Kafka,
  topic: string,
  partition: number,
  offset: string,
  timeoutMs = 30_000,
): Promise<ReadRecord | null> {
  const range = (await partitionRanges(kafka, topic)).get(partition);
  const at = BigInt(offset);
  if (range === undefined || at < range.earliest || at >= range.end) return null;
  const records = await readTopic(
    kafka,
    topic,
    (read) => read.some((x) => x.partition === partition && BigInt(x.offset) >= at),
    timeoutMs,
  );
  return records.find((x) => x.partition === partition && x.offset === offset) ?? null;
}
