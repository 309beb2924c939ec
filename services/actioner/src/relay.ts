import {
  PartnerTopics,
  partnerTopicSpec,
  tenantOfPartnerTopic,
  type PartnerTopicBase,
  type TopicSpec,
} from '@mod/contracts';
import { type Pool } from '@mod/db';
import { type OrderTopics } from '@mod/db/orders';
import { relayOutbox } from '@mod/db/outbox';
import {
  createRelayLoop,
  ensureTopics,
  publishOutboxRows,
  type Kafka,
  type Producer,
  type RelayLoop,
} from '@mod/kafka';
import type { Logger, Tracer } from '@mod/telemetry';

const ORDER_BASES = [
  'blockingRequests',
  'takedownRequests',
  'orderEvents',
] as const satisfies readonly PartnerTopicBase[];

/** The outbox rows this relay publishes: the partners' order topics (the actioner's principal may write only those). */
export function orderTopicPrefixes(topics: OrderTopics): string[] {
  return ORDER_BASES.map((base) => `${topics.prefix}${PartnerTopics[base]}.`);
}

/** The topic spec of a partner's order topic, or null when `topic` is not one. */
function orderTopicSpec(prefix: string, topic: string): TopicSpec | null {
  for (const base of ORDER_BASES) {
    const tenant = tenantOfPartnerTopic(prefix, base, topic);
    if (tenant !== null) return partnerTopicSpec(prefix, base, tenant);
  }
  return null;
}

/**
 * Publishes committed order messages (requests, order events: the actioner's own and those the API committed)
 * to each target's topic, in order, at least once (consumers are idempotent by id). A target's topic is created
 * the first time it receives a message, so an order to a partner that does not read Kafka yet waits there for it.
 */
export function createOutboxRelay(o: {
  db: Pool;
  kafka: Kafka;
  producer: Producer;
  topics: OrderTopics;
  logger: Logger;
  /** Each request leaves in a producer span of the trace its order was committed in. */
  tracer?: Tracer;
  intervalMs: number;
  faults?: { beforePublish?: () => void };
}): RelayLoop {
  const known = new Set<string>();
  const filter = { topicPrefixes: orderTopicPrefixes(o.topics) };
  return createRelayLoop({
    name: 'orders',
    logger: o.logger,
    intervalMs: o.intervalMs,
    once: () =>
      relayOutbox(
        o.db,
        async (messages) => {
          // Test seam: a crash after the order committed and before its message left.
          o.faults?.beforePublish?.();
          const missing = [...new Set(messages.map((m) => m.topic))].filter((t) => !known.has(t));
          const specs = missing.flatMap((t) => orderTopicSpec(o.topics.prefix, t) ?? []);
          if (specs.length > 0) await ensureTopics(o.kafka, specs);
          for (const t of missing) known.add(t);
          await publishOutboxRows(o.producer, messages, o.tracer);
        },
        100,
        filter,
      ),
  });
}
