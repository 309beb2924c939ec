import { largestValueBytes, singleRecordBatchBytes, MEDIA_META_HEADER } from '@mod/contracts';
import { TRACEPARENT_HEADER } from '@mod/telemetry';
import type { Producer } from './producer.js';

/** A media message: the media as the value, the event in the `mod-meta` header. */
export interface MediaMessage {
  topic: string;
  key: string;
  meta: Buffer;
  media: Buffer;
  /** The trace the upload belongs to (stored with the outbox row), sent as the `traceparent` header. */
  traceparent?: string | null;
}

/** Bytes of a `traceparent` header (version 00: 55 characters) and its name: part of every media record's size. */
const TRACEPARENT_HEADER_SIZE = { keyBytes: TRACEPARENT_HEADER.length, valueBytes: 55 };

/**
 * The largest media a message can carry on a topic of `maxMessageBytes` (`topicMaxMessageBytes`) less the key (a submission id), the
 * `mod-meta` header at its largest (`metaMaxBytes`), the `traceparent` header and the record overhead. Producers that size their uploads
 * or fetches by it never publish a message the broker refuses.
 */
export function largestMediaBytes(maxMessageBytes: number, metaMaxBytes: number): number {
  return Math.max(
    0,
    largestValueBytes(maxMessageBytes, {
      keyBytes: 36,
      headers: [
        { keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: metaMaxBytes },
        TRACEPARENT_HEADER_SIZE,
      ],
    }),
  );
}

/**
 * Publishes media messages in order, in as few requests as the topic's record-batch limit allows: consecutive
 * messages of one topic whose records together stay within `maxMessageBytes` go in one send (each partition's
 * batch is then within the limit too); a message alone always fits, as producers size media by
 * `largestMediaBytes`.
 */
export async function publishMedia(
  producer: Producer,
  messages: readonly MediaMessage[],
  maxMessageBytes: number,
): Promise<void> {
  let chunk: MediaMessage[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const topic = (chunk[0] as MediaMessage).topic;
    await producer.send({
      topic,
      messages: chunk.map((m) => ({
        key: m.key,
        value: m.media,
        headers: {
          [MEDIA_META_HEADER]: m.meta,
          ...(m.traceparent === undefined || m.traceparent === null
            ? {}
            : { [TRACEPARENT_HEADER]: m.traceparent }),
        },
      })),
    });
    chunk = [];
    chunkBytes = 0;
  };
  for (const m of messages) {
    const bytes = singleRecordBatchBytes({
      keyBytes: Buffer.byteLength(m.key),
      valueBytes: m.media.length,
      headers: [
        { keyBytes: Buffer.byteLength(MEDIA_META_HEADER), valueBytes: m.meta.length },
        TRACEPARENT_HEADER_SIZE,
      ],
    });
    if (chunk.length > 0 && (chunkBytes + bytes > maxMessageBytes || chunk[0]?.topic !== m.topic))
      await flush();
    chunk.push(m);
    chunkBytes += bytes;
  }
  await flush();
}
