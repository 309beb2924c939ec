import { IS_CONTROL, type Consumer } from '@platformatic/kafka';
import {
  interceptStreamFetches,
  type FetchArgs,
  type FetchCallback,
  type FetchResponse,
} from './client-internals.js';

/** What a record received counts for: its key and value, and a little for the rest. */
export const receivedBytes = (r: { key?: Buffer | null; value?: Buffer | null }): number =>
  (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;

/** Bytes a consumer's client received (`receivedBytes`) and processing has not taken yet, and the most ever. */
export interface FetchBudget {
  /** Bytes received and not yet taken. */
  readonly heldBytes: number;
  /** The most `heldBytes` has been. */
  readonly peakBytes: number;
  /** A record of `bytes` was taken (started): its bytes no longer count, and a fetch may follow. */
  take(bytes: number): void;
  /** Fetches no more: a fetch waiting for room, or asked for later, is dropped (the client's stream is closing). */
  close(): void;
}

/**
 * Bounds what a consumer's client fetches to what is left of `budgetBytes`, counting every record received and not
 * yet taken, wherever it waits (the client's stream buffer, the pump's queue). The client's stream fetches again as
 * soon as its buffer is read empty, with the same sizes each time, and the broker answers the first record batch
 * of a fetch whole whatever the sizes ask (KIP-74): a batch of many records sent together (a partner's client) came
 * in whole, 4.9 MB against a 1 MiB budget. So the client's fetch is wrapped (the one call its stream makes for
 * records; a wrapper, since the stream takes its sizes once, at `consume`):
 * - one fetch at a time, and none while more than half the budget is held; a fetch waits until a record is taken;
 * - each asks for what is left (`maxBytes`, and each partition's `partitionMaxBytes`);
 * - what comes back past that is cut off after the record that reached it, and left for the next fetch (the stream
 *   goes on from the first record cut): a batch larger than the budget comes in a share at a time (fetched again
 *   from its start each time, the records before the share skipped by the client).
 * So at most the budget is held, plus one record when a record is larger than what was left (one record always
 * comes in, however large, so that a record past the whole budget still goes through, alone).
 *
 * A fetch the stream asked for before the group's latest join is answered empty, whether it waited for room or was
 * under way: it carries the positions of an earlier assignment, and went out (once room was made, however long
 * after) from where this member had read a partition taken and given back since, past the records the stream was set
 * to read again from the group's commit (they were never processed, and their offsets were committed). The stream
 * (patched: `MessagesStream.joins`) drops such an answer anyway, and asks again from the positions the join gave;
 * here, a waiting one does not wait for room, and what one under way brought is not counted as held.
 */
export function budgetFetches(
  consumer: Consumer,
  budgetBytes: number,
  /** Told the bytes held whenever they change (a gauge), 0 first. */
  observe: (heldBytes: number) => void = () => undefined,
): FetchBudget {
  let held = 0;
  let peak = 0;
  observe(held);
  let busy = false;
  let closed = false;
  // By broker, in turn. The stream asks a broker again only once it answered, or when it gave up waiting (two
  // minutes): the newer request then replaces the older, whose offsets it no longer goes by.
  const waiting = new Map<number, { options: FetchArgs; callback: FetchCallback; joins: number }>();
  /** The group joins heard: each fetch goes by the positions of the assignment of the join before it. */
  let joins = 0;
  const nothing = (): FetchResponse => ({ throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] });
  const onJoin = () => {
    joins++;
    const stale = [...waiting.values()];
    waiting.clear();
    // After the stream's own handler of the join (it reads the positions again before fetching anew).
    process.nextTick(() => {
      for (const { callback } of stale) callback(null, nothing());
    });
  };
  consumer.on('consumer:group:join', onJoin);
  const next = () => {
    if (busy || closed || held > budgetBytes / 2) return;
    const first = waiting.entries().next();
    if (first.done === true) return;
    const [node, { options, callback, joins: askedIn }] = first.value;
    waiting.delete(node);
    const room = budgetBytes - held;
    busy = true;
    const asked: FetchArgs = {
      ...options,
      maxBytes: Math.min(options.maxBytes ?? room, room),
      topics: options.topics.map((t) => ({
        ...t,
        partitions: t.partitions.map((p) => ({
          ...p,
          partitionMaxBytes: Math.min(p.partitionMaxBytes, room),
        })),
      })),
    };
    fetch(asked, (error, response) => {
      busy = false;
      if (error === null && response !== undefined && askedIn !== joins) response = nothing();
      else if (error === null && response !== undefined) {
        held += keepWithin(response, options.topics, room);
        peak = Math.max(peak, held);
        observe(held);
      }
      callback(error, response);
      next();
    });
  };
  let fetch: (options: FetchArgs, callback: FetchCallback) => unknown = () => undefined;
  interceptStreamFetches(consumer, (own) => {
    fetch = own;
    return (options, callback) => {
      // Only the stream's own fetches (with a callback) are bounded.
      if (callback === undefined) return own(options, callback);
      // Closed, the stream pushes nothing more: what a fetch would bring is not fetched (nothing waits for its answer).
      if (closed) return;
      waiting.delete(options.node);
      waiting.set(options.node, { options, callback, joins });
      next();
    };
  });
  return {
    get heldBytes() {
      return held;
    },
    get peakBytes() {
      return peak;
    },
    take(bytes) {
      held -= bytes;
      observe(held);
      next();
    },
    close() {
      closed = true;
      waiting.clear();
      consumer.removeListener('consumer:group:join', onJoin);
    },
  };
}

/**
 * Cuts `response` after the record that reaches `room` bytes (`receivedBytes`) and returns the bytes kept. Counts
 * the records the client's stream passes on: of partitions asked for, at or past the offset asked, not control
 * batches. A batch cut keeps its first records and ends before the first record cut (the stream fetches again from
 * there); the batches and partitions after it are left out, their offsets not moved.
 */
function keepWithin(response: FetchResponse, asked: FetchArgs['topics'], room: number): number {
  const from = new Map<string, bigint>();
  for (const t of asked) for (const p of t.partitions) from.set(`${t.topicId}:${p.partition}`, p.fetchOffset);
  let bytes = 0;
  let full = false;
  for (const topic of response.responses)
    for (const partition of topic.partitions) {
      const start = from.get(`${topic.topicId}:${partition.partitionIndex}`);
      const batches = partition.records;
      if (start === undefined || batches === undefined || batches === null) continue;
      if (full) {
        partition.records = [];
        continue;
      }
      cut: for (let b = 0; b < batches.length; b++) {
        const batch = batches[b]!;
        if ((batch.attributes & IS_CONTROL) !== 0) continue;
        for (let r = 0; r < batch.records.length; r++) {
          const record = batch.records[r]!;
          if (batch.firstOffset + BigInt(record.offsetDelta) < start) continue;
          if (bytes >= room) {
            batch.records = batch.records.slice(0, r);
            batch.lastOffsetDelta = record.offsetDelta - 1;
            partition.records = batches.slice(0, b + 1);
            full = true;
            break cut;
          }
          bytes += receivedBytes(record);
        }
      }
    }
  return bytes;
}
