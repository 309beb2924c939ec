import {
  noTracer,
  SpanKind,
  SpanStatusCode,
  startStoredSpan,
  withoutTrace,
  TRACEPARENT_HEADER,
  type Logger,
  type Tracer,
} from '@mod/telemetry';
import type { Producer } from './producer.js';

/** A committed outbox row (`@mod/db` `OutboxMessage`): published as the JSON of its payload. */
export interface OutboxRow {
  id: number;
  topic: string;
  key: string | null;
  payload: unknown;
  /** The trace context the row was committed in. */
  traceparent: string | null;
}

/**
 * Publishes outbox rows in one batch, in order, each with its `outbox-id` header and in a producer span that
 * continues the trace its row was committed in (the record's `traceparent` names that span), so the consumer of
 * a message relayed minutes later still joins the trace that caused it.
 */
export async function publishOutboxRows(
  producer: Producer,
  rows: readonly OutboxRow[],
  tracer: Tracer = noTracer,
): Promise<void> {
  const sent = rows.map((r) =>
    startStoredSpan(
      tracer,
      'publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': r.topic,
          'mod.outbox_id': r.id,
        },
      },
      r.traceparent,
    ),
  );
  try {
    await producer.sendBatch({
      topicMessages: rows.map((r, i) => {
        const traceparent = sent[i]?.traceparent ?? null;
        return {
          topic: r.topic,
          messages: [
            {
              key: r.key,
              value: JSON.stringify(r.payload),
              headers: {
                'outbox-id': String(r.id),
                ...(traceparent === null ? {} : { [TRACEPARENT_HEADER]: traceparent }),
              },
            },
          ],
        };
      }),
    });
  } catch (err) {
    for (const { span } of sent) span.setStatus({ code: SpanStatusCode.ERROR, message: 'not published' });
    throw err;
  } finally {
    for (const { span } of sent) span.end();
  }
}

/** Publishes committed outbox messages in the background; `kick` after a commit publishes without waiting. */
export interface RelayLoop {
  start(): void;
  /** Stops polling and finishes the pass in flight. */
  stop(): Promise<void>;
  /** Publishes everything pending now (used at shutdown and by tests). */
  drain(): Promise<number>;
  /** Starts a pass now (or right after the one in flight), e.g. after a commit that enqueued messages. */
  kick(): void;
}

/**
 * Runs `once` (one claim-and-publish pass over an outbox, returning how many it sent) until nothing is left,
 * every `intervalMs` and whenever kicked. A failed pass is logged and retried at the next tick: the messages
 * stay in the outbox, so nothing is lost while the broker is away.
 */
export function createRelayLoop(options: {
  name: string;
  once: () => Promise<number>;
  intervalMs: number;
  logger: Logger;
}): RelayLoop {
  const log = options.logger.child({ component: 'relay', relay: options.name });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let again = false;
  let stopped = true;

  // Outside any trace: a pass kicked from a traced step publishes rows of many traces, each with its own context.
  const drain = () => withoutTrace(drainAll);
  const drainAll = async () => {
    let total = 0;
    for (;;) {
      const n = await options.once();
      total += n;
      if (n === 0) return total;
    }
  };

  const tick = () => {
    clearTimeout(timer);
    if (running !== undefined) {
      again = true;
      return;
    }
    running = drain()
      .catch((err: unknown) => log.warn({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          tick();
        } else {
          timer = setTimeout(tick, options.intervalMs);
        }
      });
  };

  return {
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    drain,
    kick() {
      if (!stopped) tick();
    },
  };
}
