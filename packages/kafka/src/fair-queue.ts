/**
 * Records read ahead of the steps, one FIFO per partition, handed out in turn: one record of each partition that
 * has some, then again. The stream gives a fetch's records partition after partition, so a partner whose own topic
 * holds a backlog (sent at its quota, or while the workers were away) came before every other tenant's records of
 * the same fetch, however many it had: a tenant's single record waited for up to a whole fetch of another's (16 MiB
 * a partition: some 80,000 observed URLs). Each partition's records still start in their order.
 */
export interface FairQueue<T> {
  /** Queues a record behind the others of its partition. */
  push(partitionKey: string, item: T, bytes: number): void;
  /** The next record in turn, or undefined when none is queued. */
  take(): T | undefined;
  /** The bytes of the record `take` would answer (as `push` counted them), or undefined when none is queued. */
  nextBytes(): number | undefined;
  /** Bytes queued (as `push` counted them). */
  readonly bytes: number;
  readonly size: number;
}

interface Lane<T> {
  /** Served records are cleared (undefined), so that the lane keeps none of them (a media record's bytes). */
  items: ({ item: T; bytes: number } | undefined)[];
  head: number;
}

export function createFairQueue<T>(): FairQueue<T> {
  // Lanes with records, in turn order: the lane served goes to the back (a Map keeps insertion order).
  const lanes = new Map<string, Lane<T>>();
  let bytes = 0;
  let size = 0;
  return {
    push(partitionKey, item, n) {
      let lane = lanes.get(partitionKey);
      if (lane === undefined) lanes.set(partitionKey, (lane = { items: [], head: 0 }));
      lane.items.push({ item, bytes: n });
      bytes += n;
      size++;
    },
    take() {
      const first = lanes.entries().next();
      if (first.done === true) return undefined;
      const [key, lane] = first.value;
      const next = lane.items[lane.head]!;
      lane.items[lane.head++] = undefined;
      lanes.delete(key);
      if (lane.head < lane.items.length) {
        // Drop the served part now and then, so a long lane does not keep every record it ever held.
        if (lane.head >= 1024 && lane.head * 2 >= lane.items.length) {
          lane.items = lane.items.slice(lane.head);
          lane.head = 0;
        }
        lanes.set(key, lane);
      }
      bytes -= next.bytes;
      size--;
      return next.item;
    },
    nextBytes() {
      const first = lanes.values().next();
      return first.done === true ? undefined : first.value.items[first.value.head]!.bytes;
    },
    get bytes() {
      return bytes;
    },
    get size() {
      return size;
    },
  };
}
