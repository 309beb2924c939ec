/**
 * Kafka topics, versioned by name. A breaking change to a message shape is a new topic (`.v2`), never an
 * in-place edit. Keys are chosen so that order matters only where it must.
 *
 * Two families share one naming rule:
 * - **internal topics** (`Topics`): written and read only by the project's own services, each under its own
 *   authenticated principal with least-privilege ACLs (`kafka-access.ts`);
 * - **partner topics** (`PartnerTopics`): one per partner tenant, named `<base>.<tenantId>`. A partner's principal
 *   may write only its own inbound topic and read only its own outbound topics (literal ACLs), so the tenant of a
 *   partner's event is the topic it arrived on: who authenticated, never a field of the payload.
 */
export const Topics = {
  /**
   * Media to scan, from the API's intake outbox and the fetcher. Value: the media bytes; header `mod-meta`: the
   * event (`MediaEventMeta`). Key: submission id. Short retention: it carries media bytes.
   */
  mediaSubmitted: 'mod.media-submitted.v2',
  /** Scanner and fetcher decisions with every hit. Key: submission id. */
  verdicts: 'mod.verdicts.v1',
  /**
   * The classifier's result for media that matched no list (`Classified`), published after the verdict, at the
   * classifier's pace; the actioner turns it into a review case when policy asks. Key: submission id.
   */
  classifications: 'mod.classifications.v1',
  /** Inputs that can never succeed, with a reason code. Key: the original message key. */
  deadLetters: 'mod.dlq.v1',
  /** Bank changes for every scanner (compacted). Key: `bank:<bankId>` or `entry:<bankId>:<entryId>`. */
  bankChanges: 'mod.bank-changes.v1',
  /** Signed audit tree heads for authorities (one partition, kept forever). Key: signing key id. */
  auditTreeHeads: 'mod.audit-tree-heads.v1',
  /** URLs ISPs saw through the API (`mod.url-observed.v1`, key: host). */
  urlObserved: 'mod.url-observed.v1',
  /** URL-list changes for every fetcher (compacted). */
  urlListChanges: 'mod.url-list-changes.v1',
} as const;

/**
 * Bases of the per-partner topics; the topic of tenant `t` is `<prefix><base>.<t>` (tenant ids never hold a dot).
 * Inbound (the partner writes): media from platforms, observed URLs from ISPs. Outbound (the actioner writes,
 * the partner reads): its blocking or takedown requests and the events of its orders, keyed by order id.
 */
export const PartnerTopics = {
  /** Platform → scanner: media, as `Topics.mediaSubmitted` but with `PartnerMediaMeta` (no tenant, no source). */
  mediaSubmitted: 'mod.media-submitted.v2',
  /** ISP → fetcher: observed URLs (`UrlObserved`; its `tenantId`, when given, must be the topic's tenant). */
  urlObserved: 'mod.url-observed.v1',
  /** Actioner → ISP: blocking requests. */
  blockingRequests: 'mod.blocking-requests.v1',
  /** Actioner → platform: takedown requests. */
  takedownRequests: 'mod.takedown-requests.v1',
  /** Actioner → target: status and clock changes of its orders (re-notices, escalations, ...). */
  orderEvents: 'mod.order-events.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];
export type PartnerTopicBase = keyof typeof PartnerTopics;

/** Tenant ids as the API and the CLI accept them; no dots, so a partner topic's tenant is unambiguous. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The kinds of tenant that may hold partner topics, and which: inbound first. */
export const PartnerTopicsByKind = {
  platform: { inbound: 'mediaSubmitted', outbound: ['takedownRequests', 'orderEvents'] },
  isp: { inbound: 'urlObserved', outbound: ['blockingRequests', 'orderEvents'] },
} as const satisfies Record<string, { inbound: PartnerTopicBase; outbound: readonly PartnerTopicBase[] }>;
export type PartnerKind = keyof typeof PartnerTopicsByKind;
/** The bases partners write (every kind's inbound); the broker stamps their records' time (`LogAppendTime`). */
const PartnerInboundBases: readonly PartnerTopicBase[] = Object.values(PartnerTopicsByKind).map(
  (k) => k.inbound,
);

/** Topic-level settings applied when the project creates its topics. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Milliseconds a message is kept; media topics keep bytes only as long as processing needs. */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
  /**
   * `LogAppendTime`: the broker stamps every record with the time it appended it, whatever the producer set. For
   * the topics a party outside our services writes (partners' inbound topics), whose producer could otherwise
   * stamp records far in the past or future: message-age metrics and time-based retention read that time. Unset:
   * the cluster's default (`CreateTime`), for topics only our services write, with our own clocks.
   */
  timestampType?: 'LogAppendTime';
  /**
   * Most bytes a partition keeps (`retention.bytes`; the oldest segments go first, so it holds up to one segment
   * more). For the topics a party outside our services writes, at whatever rate it likes: kept by time alone, what
   * it wrote could fill the brokers' disks. Unset: no bound (`-1`), for topics only our services write.
   */
  retentionBytes?: number;
  /**
   * Most milliseconds before a partition's active segment rolls (`segment.ms`). The broker deletes whole segments,
   * each once its newest record is past `retentionMs`: a record is kept up to `retentionMs + segmentMs`. Set on
   * the topics whose retention is a privacy promise (media bytes, the URLs subscribers visited); unset: the
   * cluster's default (7 days), for the others.
   */
  segmentMs?: number;
}

const HOUR_MS = 60 * 60 * 1000;
const GiB = 1024 * 1024 * 1024;

/**
 * The bytes a partition of a partner's inbound topic keeps at most (`TopicSpec.retentionBytes`): hours of a busy
 * partner's media or observed URLs waiting for the scanner or the fetcher, far below a broker's disk. A partner that
 * writes more meanwhile loses its own oldest messages, never another tenant's (each partner has its own topic).
 */
export const PartnerInboundRetentionBytes = {
  mediaSubmitted: 16 * GiB,
  urlObserved: 2 * GiB,
} as const satisfies Partial<Record<PartnerTopicBase, number>>;
const MEDIA_RETENTION_MS = 6 * HOUR_MS;
const URL_OBSERVED_RETENTION_MS = 24 * HOUR_MS;
/**
 * The segment roll time of a topic kept `retentionMs` for privacy (`TopicSpec.segmentMs`): a sixth of it, so a
 * record is gone at most 7/6 of the retention after it was written (media 7 hours, observed URLs 28), where the
 * broker's default segment (7 days, or 1 GiB) kept the pictures of a tenant sending less than 1 GiB a week, steadily,
 * for up to 7 days (the active segment's newest record is always recent, so none of it was past retention).
 */
const privateSegmentMs = (retentionMs: number): number => retentionMs / 6;
const ORDER_RETENTION_MS = 30 * 24 * HOUR_MS;

/** Default layout of the internal topics; `prefix` lets tests own their topics (e.g. `t-3f2a.`). */
export function topicSpecs(prefix = ''): TopicSpec[] {
  return [
    {
      name: prefix + Topics.mediaSubmitted,
      partitions: 3,
      retentionMs: MEDIA_RETENTION_MS,
      cleanupPolicy: 'delete',
      segmentMs: privateSegmentMs(MEDIA_RETENTION_MS),
    },
    { name: prefix + Topics.verdicts, partitions: 3, retentionMs: 7 * 24 * HOUR_MS, cleanupPolicy: 'delete' },
    {
      name: prefix + Topics.classifications,
      partitions: 3,
      retentionMs: 7 * 24 * HOUR_MS,
      cleanupPolicy: 'delete',
    },
    {
      name: prefix + Topics.deadLetters,
      partitions: 1,
      retentionMs: 14 * 24 * HOUR_MS,
      cleanupPolicy: 'delete',
    },
    // One partition: every scanner reads all of it, in order. Compaction keeps the latest change per key.
    { name: prefix + Topics.bankChanges, partitions: 1, retentionMs: -1, cleanupPolicy: 'compact' },
    { name: prefix + Topics.auditTreeHeads, partitions: 1, retentionMs: -1, cleanupPolicy: 'delete' },
    {
      name: prefix + Topics.urlObserved,
      partitions: 3,
      retentionMs: URL_OBSERVED_RETENTION_MS,
      cleanupPolicy: 'delete',
      segmentMs: privateSegmentMs(URL_OBSERVED_RETENTION_MS),
    },
    { name: prefix + Topics.urlListChanges, partitions: 1, retentionMs: -1, cleanupPolicy: 'compact' },
  ];
}

/** The topic of one partner tenant for one base. */
export function partnerTopic(prefix: string, base: PartnerTopicBase, tenantId: string): string {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new RangeError(`not a tenant id: ${JSON.stringify(tenantId)}`);
  return `${prefix}${PartnerTopics[base]}.${tenantId}`;
}

/** The tenant a partner topic belongs to, or null when `topic` is not a partner topic of that base. */
export function tenantOfPartnerTopic(prefix: string, base: PartnerTopicBase, topic: string): string | null {
  const head = `${prefix}${PartnerTopics[base]}.`;
  if (!topic.startsWith(head)) return null;
  const tenant = topic.slice(head.length);
  return TENANT_ID_PATTERN.test(tenant) ? tenant : null;
}

/** The settings of a partner topic: media keeps bytes 6 hours, observed URLs a day, orders 30 days. */
export function partnerTopicSpec(
  prefix: string,
  base: PartnerTopicBase,
  tenantId: string,
  partitions = 1,
): TopicSpec {
  const retentionMs =
    base === 'mediaSubmitted'
      ? MEDIA_RETENTION_MS
      : base === 'urlObserved'
        ? URL_OBSERVED_RETENTION_MS
        : ORDER_RETENTION_MS;
  return {
    name: partnerTopic(prefix, base, tenantId),
    partitions,
    retentionMs,
    cleanupPolicy: 'delete',
    ...(PartnerInboundBases.includes(base)
      ? {
          timestampType: 'LogAppendTime' as const,
          retentionBytes: PartnerInboundRetentionBytes[base as keyof typeof PartnerInboundRetentionBytes],
          segmentMs: privateSegmentMs(retentionMs),
        }
      : {}),
  };
}

/** The settings of a partner topic of any base named `topic`, or null when it is not a partner topic. */
export function partnerTopicSpecOf(prefix: string, topic: string): TopicSpec | null {
  for (const base of Object.keys(PartnerTopics) as PartnerTopicBase[]) {
    const tenant = tenantOfPartnerTopic(prefix, base, topic);
    if (tenant !== null) return partnerTopicSpec(prefix, base, tenant);
  }
  return null;
}

/** Every partner topic of a tenant of `kind`. */
export function partnerTopicSpecs(prefix: string, kind: PartnerKind, tenantId: string): TopicSpec[] {
  const { inbound, outbound } = PartnerTopicsByKind[kind];
  return [inbound, ...outbound].map((base) => partnerTopicSpec(prefix, base, tenantId));
}

/** Internal topic names with an optional prefix (tests use a random prefix per test). */
export function topicNames(prefix = ''): { [K in keyof typeof Topics]: string } {
  return Object.fromEntries(Object.entries(Topics).map(([k, v]) => [k, prefix + v])) as {
    [K in keyof typeof Topics]: string;
  };
}
