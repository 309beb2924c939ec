import type { Consumer, Message } from '@platformatic/kafka';
import type { Logger } from '@mod/telemetry';
import { createCommitter } from './committer.js';
import type { RawStream } from './consumer.js';
import { createFairQueue } from './fair-queue.js';
import { receivedBytes, type FetchBudget } from './fetch-budget.js';
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
 * How a runner reads ahead `readAheadBytes`: its fetches (the client's options), the queue the pump fills, and the
 * budget its fetches are held to. At `READ_AHEAD_BYTES` and above, the queue takes that much and the stream fetches
 * on as it always did (16 MiB a partition, `concurrency` records buffered), for small records of many partners (URLs,
 * verdicts). Below it, the bound holds for every record received and not started, wherever it waits (media: bytes
 * kept no longer than processing needs): the pump reads the stream as records come, and the fetches are held to what
 * is left of the budget (`budgetFetches`): at most `readAheadBytes`, plus one record when a record is larger than
 * what was left (a record batch larger than that comes in a share at a time).
 */
export function readAheadPlan(
  readAheadBytes: number,
  concurrency: number,
): {
  queueBytes: number;
  /** Bytes the fetches are held to (`budgetFetches`); none at `READ_AHEAD_BYTES` and above. */
  budgetBytes?: number;
  fetch: { maxBytes?: number; maxBytesPerPartition: number; highWaterMark: number };
} {
  if (readAheadBytes >= READ_AHEAD_BYTES)
    return {
      queueBytes: readAheadBytes,
      fetch: { maxBytesPerPartition: MAX_BYTES_PER_PARTITION, highWaterMark: concurrency },
    };
  return {
    queueBytes: Number.POSITIVE_INFINITY,
    budgetBytes: readAheadBytes,
    fetch: { maxBytes: readAheadBytes, maxBytesPerPartition: readAheadBytes, highWaterMark: 1 },
  };
}

/** What a record read ahead counts for: its key and value, and a little for the rest (as `budgetFetches` counts). */
export const recordBytes = (raw: RawMessage): number => receivedBytes(raw);

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
  /** Gives up what records of a partition a rebalance took wait for (their summary dead letters). */
  abandon: (topic: string, partition: number) => void;
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
  /** The budget the client's fetches are held to (`budgetFetches`), told of each record started; closed at the end. */
  budget?: FetchBudget;
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
 *
 * When a rebalance takes a partition (`createCommitter`), nothing more of it is committed here, whatever its
 * records' steps or summaries do later: its new owner reads it again from the last commit, and dead-letters its bad
 * records itself. Its records read and not started are skipped, its records in flight stop at their next retry, and
 * their summaries are abandoned (not written: the new owner's letters stand for them). A partition given (again)
 * is read from the group's commit, or the topic's start or end when it has none, as on a first assignment: a
 * position this member kept from an earlier ownership would pass over records nobody committed.
 */
export async function pumpRecords(o: PumpOptions): Promise<void> {
  const { isStopping } = o;
  const commits = createCommitter(
    o.consumer,
    o.log,
    ({ revoked, added }) => {
      for (const { topic, partition } of revoked) o.abandon(topic, partition);
      // The client refreshes the positions of the partitions it is given from the group's commits as it joins (in the
      // background); one without a commit keeps a position the client already held, unless it is forgotten (patched).
      o.stream.forgetOffsets(added);
      if (revoked.length > 0)
        o.log.info({ revoked, added }, 'partitions revoked: their commits and summaries dropped');
      signal();
    },
    o.stream.joins,
  );
  /** Records read, each with the ownership of its partition it was read in (`Committer.ownership`). */
  const queue = createFairQueue<{ raw: RawMessage; ownership: number }>();
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
  const start = ({ raw, ownership }: { raw: RawMessage; ownership: number }, bytes: number) => {
    // Tracked as it starts: each partition's records start in their order, so commits stay in order.
    const ticket = commits.track(raw, ownership);
    o.budget?.take(bytes);
    // A record of a partition taken from this member (read before the rebalance) is its new owner's: skipped, and so
    // is one read before its partition was taken and given back (read again from the group's commit).
    if (!commits.current(ticket)) return;
    const m = consumedOf(raw);
    if (bounded && m.value !== null) m.value = Buffer.from(m.value);
    const hold = held.hold(bytes);
    // A record of a partition taken from this member stops at its next retry: it is its new owner's to process.
    const stopped = () => isStopping() || !commits.current(ticket);
    const task = o.process(m, stopped, hold).then((finished) => {
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
        // The ownership the record was fetched in (`Message.joins`, patched), not the one it is read in: pushed into
        // the stream's buffer before a join that gave its partition anew, it went by an earlier position.
        const ownership = commits.ownership(r.value.topic, r.value.partition, r.value.joins);
        queue.push(
          `${r.value.topic}\u0000${r.value.partition}`,
          { raw: r.value, ownership },
          recordBytes(r.value),
        );
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
    o.budget?.close();
    await Promise.all(inFlight);
    await o.settle();
    await Promise.all(waiting);
    await commits.flush();
    commits.close();
  }
}
