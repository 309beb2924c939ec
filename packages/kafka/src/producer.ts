import { Producer as PlatformaticProducer, ProduceAcks } from '@platformatic/kafka';
import { ModError } from '@mod/contracts';
import { TRACEPARENT_HEADER, traceparentOf } from '@mod/telemetry';
import { withAdmin } from './admin.js';
import type { Kafka } from './client.js';
import { errorText } from './errors.js';

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
  /** Publishes messages to one topic; resolves once the broker has them all. */
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

/** Most value bytes one coalesced produce request carries; a larger send goes alone. */
const COALESCE_MAX_BYTES = 1024 * 1024;

type ProducerRecord = ReturnType<typeof toRecord>;

interface PendingSend {
  records: ProducerRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * An idempotent producer (no duplicates from its own retries), acks=all. Sends made while a request is in flight
 * are coalesced into the next one (up to 1 MiB of values), in the order they were made: under load, many steps'
 * verdicts share one request instead of paying one round trip and one broker append each; idle, a send goes at
 * once (no linger). When a coalesced request fails, each send is tried alone, so one bad message (too large, a
 * topic not allowed) fails only its own caller.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  // Reach the cluster first, so a service whose broker or credentials are wrong fails at start-up (an
  // idempotent producer would wait for its producer id instead of failing).
  await withAdmin(kafka, (admin) => admin.metadata({ topics: [] }));
  const producer = new PlatformaticProducer({ ...kafka.base, idempotent: true, acks: ProduceAcks.ALL });
  const sendAll = async (records: ProducerRecord[]) => {
    try {
      await producer.send({ messages: records });
    } catch (err) {
      // The client wraps the broker's answer (e.g. MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED): say it.
      throw new ModError('MOD_ERR_KAFKA_PRODUCE', `producing failed: ${errorText(err)}`, {
        retriable: true,
        cause: err,
      });
    }
  };
  let queue: PendingSend[] = [];
  let inFlight = false;

  const flush = (): void => {
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
        await sendAll(batch.flatMap((p) => p.records));
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0]?.reject(err);
        else
          for (const p of batch)
            await sendAll(p.records).then(
              () => p.resolve(),
              (e: unknown) => p.reject(e),
            );
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
      queue.push({ records, bytes, resolve, reject });
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
