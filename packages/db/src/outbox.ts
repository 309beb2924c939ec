import { traceparentOf } from '@mod/telemetry/trace-context';
import type { Pool, Queryable } from './pool.js';
import { withTransaction } from './pool.js';

/**
 * Adds a message to the outbox inside the caller's transaction, so state and message commit together. The
 * active trace context is kept with it: the relay publishes it later, in the trace that caused it.
 */
export async function enqueueOutbox(
  db: Queryable,
  topic: string,
  key: string | null,
  payload: unknown,
): Promise<void> {
  await db.query(
    `/* outbox:enqueue */ insert into outbox (topic, key, payload, traceparent) values ($1, $2, $3, $4)`,
    [topic, key, JSON.stringify(payload), traceparentOf()],
  );
}

export interface OutboxMessage {
  id: number;
  topic: string;
  key: string | null;
  payload: unknown;
  /** The W3C trace context the message was committed in (null outside a trace). */
  traceparent: string | null;
}

/**
 * Which messages a relay publishes: each service publishes only to the topics its Kafka principal may write
 * (the API the curation and audit topics, the actioner the partners' order topics). Absent: every message.
 */
export interface OutboxFilter {
  /** Exact topic names. */
  topics?: readonly string[];
  /** Topic name prefixes (e.g. `mod.blocking-requests.v1.` for every ISP's topic). */
  topicPrefixes?: readonly string[];
}

/**
 * Days a published message stays in the outbox (to see what was sent, and when), then it is deleted: the topics keep
 * their own copy only as long as their retention (observed URLs a day, orders 30 days), and a copy kept here for
 * ever would hold every reported URL and every order message sent to a partner, with no purpose left.
 */
export const PUBLISHED_OUTBOX_KEEP_DAYS = 7;

/** Most published messages one relay pass deletes (each pass deletes some: a backlog goes over a few passes). */
const PRUNE_BATCH = 1000;

/**
 * Publishes pending outbox messages in id order, at least once: the batch is locked, handed to `publish` one topic
 * at a time (the topics side by side, each topic's messages together in id order), and each topic's messages are
 * marked published in the same transaction only after its `publish` resolves. A topic the broker refuses (too large
 * a message, no such topic, not allowed) keeps its messages pending, left aside for the rest of the pass (the batch
 * is claimed again without it, so a whole batch of them holds no other topic back), and fails the pass after the
 * others are marked. A crash between publish and commit
 * re-publishes: consumers are idempotent by id. Relays of one filter in several processes (actioner replicas)
 * take turns (a transaction-scoped advisory lock per schema and filter): while one waits for its broker, another
 * that skipped its locked rows would publish the later messages first, and a partner would read an order's
 * withdrawal before the issue it withdraws.
 * Each pass first deletes messages published more than `PUBLISHED_OUTBOX_KEEP_DAYS` ago, of any topic (whichever
 * service's relay runs), never a pending one. Returns how many were published.
 */
export async function relayOutbox(
  pool: Pool,
  publish: (messages: OutboxMessage[]) => Promise<void>,
  batchSize = 100,
  filter?: OutboxFilter,
): Promise<number> {
  const pass = await withTransaction(pool, async (client) => {
    await client.query(
      `/* outbox:relay-lock */ select pg_advisory_xact_lock(hashtext('mod-outbox-relay:' || current_schema() || ':' || $1))`,
      [JSON.stringify(filter ?? null)],
    );
    await client.query(
      `/* outbox:prune-published */ delete from outbox where id in (
         select id from outbox where published_at <= now() - make_interval(days => $1)
         order by published_at limit $2 for update skip locked)`,
      [PUBLISHED_OUTBOX_KEEP_DAYS, PRUNE_BATCH],
    );
    const published: OutboxMessage[] = [];
    const refused: unknown[] = [];
    const refusedTopics: string[] = [];
    // A refused topic's messages are left aside for the rest of the pass and the batch claimed again without them,
    // so a topic refused with a whole batch waiting does not hold every other topic back.
    for (;;) {
      const { rows } = await client.query<OutboxMessage>(
        `/* outbox:claim */ select id, topic, key, payload, traceparent from outbox where published_at is null
           and ($2::text[] is null or topic = any($2) or exists (select 1 from unnest($3::text[]) p where starts_with(topic, p)))
           and topic <> all($4::text[])
         order by id limit $1 for update skip locked`,
        [
          batchSize,
          filter === undefined ? null : (filter.topics ?? []),
          filter?.topicPrefixes ?? [],
          refusedTopics,
        ],
      );
      const byTopic = new Map<string, OutboxMessage[]>();
      for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      const groups = [...byTopic.values()];
      const settled = await Promise.allSettled(groups.map((group) => publish(group)));
      const sent = groups.filter((_, i) => settled[i]?.status === 'fulfilled').flat();
      if (sent.length > 0)
        await client.query(
          `/* outbox:mark-published */ update outbox set published_at = now() where id = any($1)`,
          [sent.map((r) => r.id)],
        );
      published.push(...sent);
      groups.forEach((group, i) => {
        const s = settled[i];
        if (s?.status !== 'rejected') return;
        refused.push(s.reason);
        refusedTopics.push(group[0]?.topic ?? '');
      });
      if (rows.length < batchSize || sent.length === rows.length) break;
    }
    return { published: published.length, refused };
  });
  // After the commit: what was published stays marked, and the refusal is the pass's failure (logged, retried).
  if (pass.refused.length > 0) throw pass.refused[0];
  return pass.published;
}

export async function countUnpublished(db: Queryable, filter?: OutboxFilter): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `/* outbox:count-unpublished */ select count(*)::int as n from outbox where published_at is null
       and ($1::text[] is null or topic = any($1) or exists (select 1 from unnest($2::text[]) p where starts_with(topic, p)))`,
    [filter === undefined ? null : (filter.topics ?? []), filter?.topicPrefixes ?? []],
  );
  return rows[0]?.n ?? 0;
}
