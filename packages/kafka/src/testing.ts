import type { Kafka } from 'kafkajs';

export interface ReadRecord {
  key: string | null;
  value: Buffer | null;
  partition: number;
  offset: string;
}

/**
 * Reads a topic from the beginning until `until(records)` holds or `timeoutMs` passes, with a throwaway group.
 * For tests and the demo: returns everything read.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  until: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${crypto.randomUUID()}`, sessionTimeout: 10_000 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          records.push({
            key: message.key?.toString('utf8') ?? null,
            value: message.value,
            partition,
            offset: message.offset,
          });
          if (until(records)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
