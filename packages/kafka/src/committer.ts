import type { Consumer as PlatformaticConsumer, Message } from '@platformatic/kafka';
import type { Logger } from '@mod/telemetry';

interface Ticket {
  key: string;
  entry: { offset: bigint; leaderEpoch: number; done: boolean };
}

/**
 * In-order offset commits per partition: `track` a record as it is handed out, `done` when its step finished;
 * the offset after the longest finished prefix is committed (batched, every 100 ms, and at `flush`). A record
 * seen again (a rebalance gave the partition back from its committed offset) starts that partition afresh.
 */
export function createCommitter(consumer: PlatformaticConsumer, log: Logger) {
  const partitions = new Map<
    string,
    { topic: string; partition: number; pending: Ticket['entry'][]; max: bigint }
  >();
  const due = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    await flushing;
    if (due.size === 0) return;
    const offsets = [...due.values()];
    due.clear();
    flushing = consumer.commit({ offsets }).catch((err: unknown) => {
      // A rebalance took the partitions: their new owner resumes from the last commit (steps are idempotent).
      log.warn({ err, offsets: offsets.length }, 'offsets not committed');
    });
    await flushing;
  };

  return {
    track(raw: Message<Buffer, Buffer, Buffer, Buffer>): Ticket {
      const key = `${raw.topic}\u0000${raw.partition}`;
      let p = partitions.get(key);
      if (p === undefined || raw.offset <= p.max) {
        p = { topic: raw.topic, partition: raw.partition, pending: [], max: -1n };
        partitions.set(key, p);
      }
      p.max = raw.offset;
      const entry = { offset: raw.offset, leaderEpoch: raw.leaderEpoch, done: false };
      p.pending.push(entry);
      return { key, entry };
    },
    done(ticket: Ticket): void {
      ticket.entry.done = true;
      const p = partitions.get(ticket.key);
      if (p === undefined || !p.pending.includes(ticket.entry)) return;
      let last: Ticket['entry'] | undefined;
      while (p.pending[0]?.done === true) last = p.pending.shift();
      if (last === undefined) return;
      due.set(ticket.key, {
        topic: p.topic,
        partition: p.partition,
        offset: last.offset + 1n,
        leaderEpoch: last.leaderEpoch,
      });
      timer ??= setTimeout(() => void flush(), 100);
    },
    flush,
  };
}
