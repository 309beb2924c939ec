import type {
  ConsumerGroupJoinPayload,
  GroupAssignment,
  Consumer as PlatformaticConsumer,
  Message,
} from '@platformatic/kafka';
import type { Logger } from '@mod/telemetry';
import { commitOffsets, isStaleCommit, type CommitOffset } from './client-internals.js';

/** A partition, as a rebalance gives or takes it. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** What one rebalance changed of the partitions this member owns. */
export interface AssignmentChange {
  /** Taken from this member: nothing of them is committed any more. */
  revoked: TopicPartition[];
  /** Given to it (a partition taken and given back is given anew). */
  added: TopicPartition[];
}

export interface Ticket {
  key: string;
  entry: { offset: bigint; leaderEpoch: number; done: boolean };
  /** The ownership of its partition it was read in (`Committer.current`). */
  ownership: number;
}

export interface Committer {
  /** Whether this member owns the partition now. */
  owns(topic: string, partition: number): boolean;
  /**
   * The ownership of the partition now (-1 when not owned), to stamp a record with as it is read; -1 too when the
   * record's fetch was asked for (`fetchedAt`, the stream's joins then: `Message.joins`) before the join that gave
   * the partition as it is owned now: it went by the position of an earlier ownership.
   */
  ownership(topic: string, partition: number, fetchedAt?: number): number;
  /**
   * Tracks a record as it is handed out, read in `ownership` (`Committer.ownership` when it was read): one read in an
   * earlier ownership of its partition (taken and given back since) is not current, and not tracked.
   */
  track(raw: Message<Buffer, Buffer, Buffer, Buffer>, ownership: number): Ticket;
  /** Whether the ticket's partition is still owned as it was when its record was tracked. */
  current(ticket: Ticket): boolean;
  /** The ticket's step finished. */
  done(ticket: Ticket): void;
  /** Commits what is due now (unless a rebalance is under way: then nothing). */
  flush(): Promise<void>;
  /** Stops following the group's rebalances. */
  close(): void;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * In-order offset commits per partition: `track` a record as it is handed out, `done` when its step finished;
 * the offset after the longest finished prefix is committed (batched, every 100 ms, and at `flush`). A record
 * seen again (a rebalance gave the partition back from its committed offset) starts that partition afresh.
 *
 * Only partitions this member owns are committed. Each join of the group (`consumer:group:join`) says which it owns
 * now; what was taken is forgotten, its records' commits never sent (the broker checks a commit's generation, not
 * whether its partitions are the committer's: a member that committed after a rebalance, the summary of a folded
 * window written, overwrote what the partition's new owner had committed), and taken out of any commit still in the
 * client's hands (the client sends a commit refused by a rebalance again after rejoining, with the new generation).
 * While the client has joined a generation whose assignment it has not yet heard (between its JoinGroup and
 * SyncGroup answers), nothing is sent: the join that follows commits what is still owned. A commit is made for the
 * membership it was checked against: the client refuses it if its JoinGroup answer landed before the request left
 * (patched, `commitOffsets`), and what it held of partitions still owned as then is due again, sent after the join.
 *
 * `joins` is the stream's join count (`MessagesStream.joins`) as the committer is made: it counts the joins it hears
 * from there, the same events, so that a record's `joins` tells which ownership it was fetched in.
 */
export function createCommitter(
  consumer: PlatformaticConsumer,
  log: Logger,
  onAssignment: (change: AssignmentChange) => void = () => undefined,
  joins = 0,
): Committer {
  const partitions = new Map<
    string,
    { topic: string; partition: number; pending: Ticket['entry'][]; max: bigint }
  >();
  const due = new Map<string, CommitOffset>();
  /**
   * Partitions owned, each with the number of its ownership (one more for every partition given) and the join that
   * gave it (`joins` then).
   */
  const owned = new Map<string, TopicPartition & { ownership: number; since: number }>();
  let ownerships = 0;
  /** The member and generation whose assignment `owned` is. */
  let member = { memberId: consumer.memberId, generationId: consumer.generationId };
  /** Commits handed to the client and not yet answered. */
  const sending = new Set<CommitOffset[]>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  function assign(assignments: readonly GroupAssignment[]): AssignmentChange {
    const next = new Map<string, TopicPartition>();
    for (const { topic, partitions: ps } of assignments)
      for (const partition of ps) next.set(keyOf(topic, partition), { topic, partition });
    const change: AssignmentChange = { revoked: [], added: [] };
    for (const [key, p] of owned) {
      if (next.has(key)) continue;
      owned.delete(key);
      partitions.delete(key);
      due.delete(key);
      change.revoked.push({ topic: p.topic, partition: p.partition });
    }
    for (const offsets of sending)
      for (let i = offsets.length - 1; i >= 0; i--) {
        const o = offsets[i]!;
        if (!next.has(keyOf(o.topic, o.partition))) offsets.splice(i, 1);
      }
    for (const [key, p] of next) {
      if (owned.has(key)) continue;
      owned.set(key, { ...p, ownership: ++ownerships, since: joins });
      change.added.push(p);
    }
    return change;
  }
  assign(consumer.assignments ?? []);

  const onJoin = (joined: ConsumerGroupJoinPayload) => {
    joins++;
    member = { memberId: joined.memberId, generationId: joined.generationId ?? consumer.generationId };
    const change = assign(joined.assignments ?? consumer.assignments ?? []);
    if (change.revoked.length > 0 || change.added.length > 0) onAssignment(change);
    if (due.size > 0) timer ??= setTimeout(() => void flush(), 100);
  };
  consumer.on('consumer:group:join', onJoin);

  const current = (ticket: Ticket): boolean => owned.get(ticket.key)?.ownership === ticket.ownership;

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    await flushing;
    if (due.size === 0) return;
    // Joined a generation whose assignment is not known yet: what it keeps is sent after its join.
    if (consumer.memberId !== member.memberId || consumer.generationId !== member.generationId) return;
    const offsets = [...due.values()];
    /** The ownership each offset was due in. */
    const stamps = new Map(offsets.map((o) => [o, owned.get(keyOf(o.topic, o.partition))?.ownership]));
    due.clear();
    sending.add(offsets);
    flushing = commitOffsets(consumer, offsets, member)
      .catch((err: unknown) => {
        if (isStaleCommit(err)) {
          // Not sent: the client joined another generation since the check. What it held of partitions still owned
          // as they were is due again (unless more is due of them now), sent once the join says what is owned.
          for (const o of offsets) {
            const key = keyOf(o.topic, o.partition);
            if (!due.has(key) && owned.get(key)?.ownership === stamps.get(o)) due.set(key, o);
          }
          if (due.size > 0) timer ??= setTimeout(() => void flush(), 100);
          log.info({ offsets: offsets.length }, 'offsets not committed: the group joined another generation');
          return;
        }
        // A rebalance took the partitions: their new owner resumes from the last commit (steps are idempotent).
        log.warn({ err, offsets: offsets.length }, 'offsets not committed');
      })
      .finally(() => sending.delete(offsets));
    await flushing;
  };

  return {
    owns: (topic, partition) => owned.has(keyOf(topic, partition)),
    ownership(topic, partition, fetchedAt) {
      const o = owned.get(keyOf(topic, partition));
      if (o === undefined || (fetchedAt !== undefined && fetchedAt < o.since)) return -1;
      return o.ownership;
    },
    track(raw, ownership) {
      const key = keyOf(raw.topic, raw.partition);
      const entry = { offset: raw.offset, leaderEpoch: raw.leaderEpoch, done: false };
      if (ownership === -1 || owned.get(key)?.ownership !== ownership) return { key, entry, ownership: -1 };
      let p = partitions.get(key);
      if (p === undefined || raw.offset <= p.max) {
        p = { topic: raw.topic, partition: raw.partition, pending: [], max: -1n };
        partitions.set(key, p);
      }
      p.max = raw.offset;
      p.pending.push(entry);
      return { key, entry, ownership };
    },
    current,
    done(ticket) {
      ticket.entry.done = true;
      const p = partitions.get(ticket.key);
      if (!current(ticket) || p === undefined || !p.pending.includes(ticket.entry)) return;
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
    close() {
      clearTimeout(timer);
      consumer.removeListener('consumer:group:join', onJoin);
    },
  };
}
