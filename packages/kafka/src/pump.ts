import type { Consumer, Message } from '@platformatic/kafka';
import type { Logger } from '@mod/telemetry';
import { createCommitter } from './committer.js';
import type { RawStream } from './consumer.js';
import { createFairQueue } from './fair-queue.js';
import { createHeldBytes, type HeldBytes, type Hold } from './held-bytes.js';
import type { Processed } from './processing.js';
import { consumedOf, messageAgeSeconds, type ConsumedMessage } from './step.js';

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Most bytes one fetch brings of one partition (a record of up to a topic's 16 MiB fits). */
export const MAX_BYTES_PER_PARTITION = 16 * 1024 * 1024;
/**
 * Default `readAheadBytes` of the runner: twice what one fetch brings of one partition, so the pump reads past a
 * partition's whole share of a fetch to the other partitions' records behind it.
 */
export const READ_AHEAD_BYTES = 2 * MAX_BYTES_PER_PARTITION;

/**
 * How a runner reads ahead `readAheadBytes`: its fetches (the client's options) and the queue the pump fills.
 * At `READ_AHEAD_BYTES` and above, the queue takes that much and the stream fetches on as it always did (16 MiB a
 * partition, `concurrency` records buffered), for small records of many partners (URLs, verdicts). Below it, the
 * bound holds for every record read and not started, the stream's buffer too (media: bytes kept no longer than
 * processing needs): a fetch brings at most a quarter of it, the stream buffers one fetch and fetches again only
 * when the pump has read it all, and the pump reads while its queue holds less than half. So at most half, plus the
 * record just read and one fetch: each at most a quarter. Bytes as Kafka counts them: a larger record batch (a
 * producer's records sent together; compressed, its size on the wire) is still fetched whole, alone.
 */
export function readAheadPlan(
  readAheadBytes: number,
  concurrency: number,
): {
  queueBytes: number;
  fetch: { maxBytes?: number; maxBytesPerPartition: number; highWaterMark: number };
} {
  if (readAheadBytes >= READ_AHEAD_BYTES)
    return {
      queueBytes: readAheadBytes,
      fetch: { maxBytesPerPartition: MAX_BYTES_PER_PARTITION, highWaterMark: concurrency },
    };
  const fetchBytes = Math.max(1, Math.floor(readAheadBytes / 4));
  return {
    queueBytes: Math.max(1, Math.floor(readAheadBytes / 2)),
    fetch: { maxBytes: fetchBytes, maxBytesPerPartition: fetchBytes, highWaterMark: 1 },
  };
}

/** What a record read ahead counts for: its key and value, and a little for the rest. */
export const recordBytes = (raw: RawMessage): number =>
  (raw.key?.length ?? 0) + (raw.value?.length ?? 0) + 64;

export interface PumpOptions {
  stream: RawStream;
  consumer: Consumer;
  isStopping: () => boolean;
  /**
   * Runs the step on one record until its final outcome; false if stopped before it (not committed); a record
   * whose dead letter waits in a summary (`Processed`) frees its place at once and is committed once it is written.
   */
  process: (m: ConsumedMessage, isStopping: () => boolean, hold: Hold) => Promise<Processed>;
  /** Writes what records wait for (summary dead letters) once none is in flight, before the last commit. */
  settle: () => Promise<void>;
  /** Records processed at once. */
  concurrency: number;
  /**
   * Records done and waiting for their summary dead letter at most (`DeadLetterBound.maxWaiting`): none starts while
   * that many wait. Default: no bound.
   */
  maxWaiting?: number;
  /**
   * Bytes of records' values the steps hold at once (`createHeldBytes`): a record starts only when its bytes fit.
   * Bounded (not Infinity), each value started is copied into memory of its own, so that a value let go (`await`)
   * or done is gone, not kept by the buffer of a fetch its neighbours still share. Default: no bound.
   */
  maxInFlightBytes?: number;
  /** Given the session's held bytes as the pump starts (the runner reports them). */
  onHeld?: (held: HeldBytes) => void;
  /** Bytes of records (`recordBytes`) queued ahead of the steps past which none is read (`readAheadPlan`). */
  queueBytes: number;
  /** Records the age of each record read (seconds since its timestamp). */
  observeAge: (seconds: number) => void;
  log: Logger;
}

/**
 * Feeds a stream's records to the step, `concurrency` at once, and commits per partition only the offsets below
 * which every record is done (in order, whatever order they finish in). Reads ahead of the steps, up to
 * `queueBytes`, into a queue per partition whose records start in turn (`createFairQueue`): the stream gives a
 * fetch's records partition after partition, and a partner's backlog on its own topic came before every other
 * tenant's records of that fetch. Returns once the stream ended (closed by stop or a re-subscription, or failed)
 * and everything in flight finished and was committed; records read but not started are left uncommitted.
 */
export async function pumpRecords(o: PumpOptions): Promise<void> {
  const { isStopping } = o;
  const commits = createCommitter(o.consumer, o.log);
  const queue = createFairQueue<RawMessage>();
  const inFlight = new Set<Promise<void>>();
  /** Records done whose commit waits for their summary dead letter. */
  const waiting = new Set<Promise<void>>();
  const records = (o.stream as AsyncIterable<RawMessage>)[Symbol.asyncIterator]();
  // Each record read and each step finished wakes the loop (one waiter: no reactions pile up on the tasks).
  let woken = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    woken = true;
    wake?.();
    wake = undefined;
  };
  let reading = false;
  let read: IteratorResult<RawMessage> | 'failed' | undefined;
  const readNext = () => {
    reading = true;
    void records
      .next()
      .catch((err: unknown) => {
        if (!isStopping()) o.log.error({ err }, 'consumer stream failed');
        return 'failed' as const;
      })
      .then((r) => {
        reading = false;
        read = r;
        signal();
      });
  };
  const maxInFlightBytes = o.maxInFlightBytes ?? Number.POSITIVE_INFINITY;
  const maxWaiting = o.maxWaiting ?? Number.POSITIVE_INFINITY;
  const bounded = Number.isFinite(maxInFlightBytes);
  const held = createHeldBytes(maxInFlightBytes, signal);
  o.onHeld?.(held);
  const start = (raw: RawMessage, bytes: number) => {
    // Tracked as it starts: each partition's records start in their order, so commits stay in order.
    const ticket = commits.track(raw);
    const m = consumedOf(raw);
    if (bounded && m.value !== null) m.value = Buffer.from(m.value);
    const hold = held.hold(bytes);
    const task = o.process(m, isStopping, hold).then((finished) => {
      if (finished === true) commits.done(ticket);
      else if (finished !== false) {
        const written = finished.durable.then((ok) => {
          if (ok) commits.done(ticket);
        });
        waiting.add(written);
        void written.finally(() => {
          waiting.delete(written);
          signal();
        });
      }
    });
    const settled = task.finally(() => {
      hold.release();
      inFlight.delete(settled);
      signal();
    });
    inFlight.add(settled);
  };
  try {
    while (!isStopping()) {
      const r = read;
      read = undefined;
      if (r === 'failed' || r?.done === true) break;
      if (r !== undefined) {
        o.observeAge(messageAgeSeconds(Number(r.value.timestamp)));
        queue.push(`${r.value.topic}\u0000${r.value.partition}`, r.value, recordBytes(r.value));
      }
      // A record starts when a step is free and its bytes fit those the steps hold (one always does when none do).
      // Nor while `maxWaiting` records wait for their summary dead letter (`DeadLetterBound`).
      const free = () => inFlight.size < o.concurrency && waiting.size < maxWaiting;
      for (let next = queue.nextBytes(); free() && next !== undefined; ) {
        if (!held.fits(next)) break;
        start(queue.take()!, next);
        next = queue.nextBytes();
      }
      if (!reading && read === undefined && queue.bytes < o.queueBytes) readNext();
      if (!woken) await new Promise<void>((resolve) => (wake = resolve));
      woken = false;
    }
  } finally {
    await Promise.all(inFlight);
    await o.settle();
    await Promise.all(waiting);
    await commits.flush();
  }
}
