/**
 * Sizes of Kafka records as the broker measures them against `max.message.bytes`: one record in its own
 * uncompressed v2 record batch (the way the project publishes media). Knowing the exact size lets the API refuse
 * an upload the broker would refuse, instead of accepting it and failing to publish.
 */

/** Fixed part of a v2 record batch: base offset, length, leader epoch, magic, CRC, attributes, ... count. */
export const RECORD_BATCH_HEADER_BYTES = 61;

/** Bytes of a zig-zag varint (Kafka's record fields) for a non-negative value. */
export function varintBytes(value: number): number {
  let v = value * 2; // zig-zag of a non-negative number
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export interface RecordShape {
  keyBytes: number;
  valueBytes: number;
  /** Byte lengths of each header's key and value. */
  headers: readonly { keyBytes: number; valueBytes: number }[];
}

/** Size of a batch holding this one record (timestamp and offset deltas 0), as the broker checks it. */
export function singleRecordBatchBytes(r: RecordShape): number {
  let body = 1 + 1 + 1; // attributes, timestamp delta 0, offset delta 0
  body += varintBytes(r.keyBytes) + r.keyBytes;
  body += varintBytes(r.valueBytes) + r.valueBytes;
  body += varintBytes(r.headers.length);
  for (const h of r.headers)
    body += varintBytes(h.keyBytes) + h.keyBytes + varintBytes(h.valueBytes) + h.valueBytes;
  return RECORD_BATCH_HEADER_BYTES + varintBytes(body) + body;
}

/**
 * The largest value that fits in `maxMessageBytes` with this key and these headers (0 or more), or -1 when even
 * an empty value does not fit.
 */
export function largestValueBytes(maxMessageBytes: number, r: Omit<RecordShape, 'valueBytes'>): number {
  const fixed = singleRecordBatchBytes({ ...r, valueBytes: 0 });
  if (fixed > maxMessageBytes) return -1;
  // Start from the estimate ignoring varint growth, then step down while the varints make it too big.
  let v = maxMessageBytes - fixed;
  while (v > 0 && singleRecordBatchBytes({ ...r, valueBytes: v }) > maxMessageBytes) v--;
  return v;
}
