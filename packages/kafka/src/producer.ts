import { defaultPartitioner, Producer as PlatformaticProducer, ProduceAcks } from '@platformatic/kafka';
import { TRACEPARENT_HEADER, traceparentOf } from '@mod/telemetry';
import { withAdmin } from './admin.js';
import type { Kafka } from './client.js';
import {
  acknowledgedPartitions,
  errorText,
  isRecordRefusal,
  ProduceDeadlineError,
  ProduceError,
} from './errors.js';

/** A message to publish; strings are UTF-8. */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Readonly<Record<string, string | Buffer>>;
  /** The record's CreateTime, ms since the epoch (default: when it is sent). */
  timestamp?: number;
}

/** Publishes messages. Idempotent (no duplicates from its own retries), acks from every in-sync replica. */
export interface Producer {
  /**
   * Publishes messages to one topic; resolves once the broker has them all, or rejects with a `ProduceError` that
   * says which of them it acknowledged.
   */
  send(request: { topic: string; messages: readonly OutgoingMessage[] }): Promise<void>;
  /** Publishes messages to several topics in one go. */
  sendBatch(request: {
    topicMessages: readonly { topic: string; messages: readonly OutgoingMessage[] }[];
  }): Promise<void>;
  disconnect(): Promise<void>;
}

const toBuffer = (v: string | Buffer | null | undefined): Buffer | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

/**
 * A record as the client takes it. A message sent inside a trace (a step, a request) carries its `traceparent`,
 * unless it names one itself (a relay publishing the context its outbox row was committed in).
 */
const toRecord = (topic: string, m: OutgoingMessage) => {
  const key = toBuffer(m.key);
  const value = toBuffer(m.value);
  const given = Object.entries(m.headers ?? {});
  const traceparent = m.headers?.[TRACEPARENT_HEADER] === undefined ? traceparentOf() : null;
  if (traceparent !== null) given.push([TRACEPARENT_HEADER, traceparent]);
  const headers =
    given.length === 0
      ? undefined
      : new Map(given.map(([k, v]) => [Buffer.from(k, 'utf8'), toBuffer(v) as Buffer]));
  return {
    topic,
    ...(key === undefined ? {} : { key }),
    ...(value === undefined ? {} : { value }),
    ...(headers === undefined ? {} : { headers }),
    ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }),
  };
};

/** Default `ProducerOptions.sendDeadlineMs`. */
export const SEND_DEADLINE_MS = 30_000;

export interface ProducerOptions {
  /**
   * How long one send may take, queued behind others and tried, before it rejects with `ProduceDeadlineError`
   * (retriable): during a broker outage the client retries each request and the sends queued behind it wait their
   * turn, which held callers (an upload, the outbox relay) for minutes. Default `SEND_DEADLINE_MS`.
   */
  sendDeadlineMs?: number;
}

/** Most value bytes one coalesced produce request carries; a larger send goes alone. */
const COALESCE_MAX_BYTES = 1024 * 1024;

type ProducerRecord = ReturnType<typeof toRecord>;

interface PendingSend {
  records: ProducerRecord[];
  /** Per record: whether the broker acknowledged it (by any request that carried it). */
  acknowledged: boolean[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Answered (resolved, rejected, or past its deadline): nothing more of it is sent. */
  done: boolean;
  timer?: NodeJS.Timeout;
  /** The failure of its last request, if any (the cause of a deadline's error). */
  lastFailure?: unknown;
}

/**
 * An idempotent producer (no duplicates from its own retries), acks=all. Sends made while a request is in flight
 * are coalesced into the next one (up to 1 MiB of values), in the order they were made: under load, many steps'
 * verdicts share one request instead of paying one round trip and one broker append each; idle, a send goes at
 * once (no linger). When a coalesced request fails, each send's records the broker did not acknowledge are tried
 * alone, so one bad message (too large, a topic not allowed) fails only its own caller, and a record the broker
 * took is never sent again. When the broker refuses a send's records themselves (`isRecordRefusal`: a partition's
 * batch too large as a whole), those it did not acknowledge go again in halves, in order, down to one record. A
 * send that fails rejects with a `ProduceError` saying which of its records the broker acknowledged; one not done
 * within `sendDeadlineMs` (queued and tried) with a `ProduceDeadlineError`, and nothing more of it is sent.
 */
export async function createProducer(kafka: Kafka, options: ProducerOptions = {}): Promise<Producer> {
  const deadlineMs = options.sendDeadlineMs ?? SEND_DEADLINE_MS;
  // Reach the cluster first, so a service whose broker or credentials are wrong fails at start-up (an
  // idempotent producer would wait for its producer id instead of failing).
  await withAdmin(kafka, (admin) => admin.metadata({ topics: [] }));
  const producer = new PlatformaticProducer({ ...kafka.base, idempotent: true, acks: ProduceAcks.ALL });
  const roundRobin = new Map<string, number>();
  /**
   * The records with their partitions chosen here, as the client would (the key's murmur2, else round robin), so
   * that the broker's answer for each partition names the records it is about.
   */
  const place = async (records: readonly ProducerRecord[]) => {
    const metadata = await producer.metadata({ topics: [...new Set(records.map((r) => r.topic))] });
    return records.map((r) => {
      const count = metadata.topics.get(r.topic)?.partitionsCount ?? 1;
      const next = roundRobin.get(r.topic) ?? 0;
      if (r.key === undefined) roundRobin.set(r.topic, next + 1);
      const chosen = r.key === undefined ? next : defaultPartitioner(null as never, r.key);
      return { ...r, partition: chosen % count };
    });
  };
  /** One produce request: which of `records` the broker acknowledged, and its failure when not all. */
  const attempt = async (
    records: readonly ProducerRecord[],
  ): Promise<{ acknowledged: boolean[]; failure?: unknown }> => {
    let placed: Awaited<ReturnType<typeof place>> | undefined;
    try {
      placed = await place(records);
      await producer.send({ messages: placed });
      return { acknowledged: records.map(() => true) };
    } catch (failure) {
      const taken = acknowledgedPartitions(failure);
      const acknowledged = records.map((r, i) => {
        const partition = placed?.[i]?.partition;
        return partition !== undefined && taken.has(`${r.topic}:${partition}`);
      });
      return { acknowledged, failure };
    }
  };
  /**
   * Sends the records of `p` at `indices` in one request; when the broker refuses records themselves, those it did
   * not acknowledge go again in halves, in order, down to one. Resolves to the failure that stopped it, if any.
   */
  const deliver = async (p: PendingSend, indices: readonly number[]): Promise<{ failure?: unknown }> => {
    // Past its deadline: answered already, nothing more is sent.
    if (p.done) return { failure: p.lastFailure };
    const sent = await attempt(indices.map((i) => p.records[i]!));
    indices.forEach((i, j) => {
      if (sent.acknowledged[j] === true) p.acknowledged[i] = true;
    });
    if (!('failure' in sent)) return {};
    p.lastFailure = sent.failure;
    const rest = indices.filter((i) => p.acknowledged[i] !== true);
    if (rest.length === 0) return {};
    if (rest.length === 1 || !isRecordRefusal(sent.failure)) return { failure: sent.failure };
    const half = Math.ceil(rest.length / 2);
    const first = await deliver(p, rest.slice(0, half));
    return 'failure' in first ? first : deliver(p, rest.slice(half));
  };
  const settle = (p: PendingSend, outcome: { failure?: unknown }): void => {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    if (!('failure' in outcome)) return p.resolve();
    // The client wraps the broker's answer (e.g. MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED): say it.
    const { failure } = outcome;
    p.reject(new ProduceError(`producing failed: ${errorText(failure)}`, [...p.acknowledged], failure));
  };
  const unacknowledged = (p: PendingSend) => p.acknowledged.flatMap((taken, i) => (taken ? [] : [i]));
  let queue: PendingSend[] = [];
  let inFlight = false;

  const flush = (): void => {
    queue = queue.filter((p) => !p.done);
    if (inFlight || queue.length === 0) return;
    let bytes = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || bytes + (queue[n]?.bytes ?? 0) <= COALESCE_MAX_BYTES))
      bytes += queue[n++]?.bytes ?? 0;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    inFlight = true;
    void (async () => {
      try {
        if (batch.length === 1) {
          const p = batch[0]!;
          settle(p, await deliver(p, unacknowledged(p)));
          return;
        }
        const sent = await attempt(batch.flatMap((p) => p.records));
        let at = 0;
        for (const p of batch) {
          for (let i = 0; i < p.records.length; i++) p.acknowledged[i] = sent.acknowledged[at++] === true;
          if ('failure' in sent) p.lastFailure = sent.failure;
        }
        // Each send's records the broker did not take go again on their own: one bad send fails only itself.
        for (const p of batch) {
          const rest = unacknowledged(p);
          settle(p, rest.length === 0 ? {} : await deliver(p, rest));
        }
      } finally {
        inFlight = false;
        flush();
      }
    })();
  };

  const enqueue = (records: ProducerRecord[]): Promise<void> => {
    if (records.length === 0) return Promise.resolve();
    const bytes = records.reduce((a, r) => a + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
    return new Promise<void>((resolve, reject) => {
      const p: PendingSend = {
        records,
        acknowledged: records.map(() => false),
        bytes,
        resolve,
        reject,
        done: false,
      };
      p.timer = setTimeout(() => {
        if (p.done) return;
        p.done = true;
        queue = queue.filter((q) => q !== p);
        reject(new ProduceDeadlineError(deadlineMs, [...p.acknowledged], p.lastFailure));
      }, deadlineMs);
      queue.push(p);
      flush();
    });
  };
  return {
    send: ({ topic, messages }) => enqueue(messages.map((m) => toRecord(topic, m))),
    sendBatch: ({ topicMessages }) =>
      enqueue(topicMessages.flatMap((t) => t.messages.map((m) => toRecord(t.topic, m)))),
    disconnect: () => producer.close(),
  };
}
