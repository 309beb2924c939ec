import { readRecords, type Kafka, type ReadRecord } from '@mod/kafka';

/**
 * Reads a topic (or several) from the beginning until `until(records)` holds or `timeoutMs` passes, with a
 * throwaway group whose id starts with `groupPrefix` (a partner may use only groups under its own prefix).
 * Returns everything read.
 */
export function readTopic(
  kafka: Kafka,
  topic: string | readonly string[],
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 30_000,
  groupPrefix = 'reader-',
): Promise<ReadRecord[]> {
  return readRecords(kafka, typeof topic === 'string' ? [topic] : topic, { until, timeoutMs, groupPrefix });
}
