/**
 * Kafka topics, versioned by name. A breaking change to a message shape is a new topic (`.v2`), never an
 * in-place edit. Keys are chosen so that order matters only where it must.
 */
export const Topics = {
  /** Media to scan, bytes inline. Key: content id (submission id). Short retention: it carries media bytes. */
  mediaSubmitted: 'mod.media-submitted.v1',
  /** Scanner decisions with every hit. Key: submission id. */
  verdicts: 'mod.verdicts.v1',
  /** Blocking requests for ISPs. Key: ISP tenant id, so each ISP sees its requests in order. */
  blockingRequests: 'mod.blocking-requests.v1',
  /** Inputs that can never succeed, with a reason code. Key: the original message key. */
  deadLetters: 'mod.dlq.v1',
  /** Bank changes for every scanner (compacted). Key: `bank:<bankId>` or `entry:<bankId>:<entryId>`. */
  bankChanges: 'mod.bank-changes.v1',
  /** Signed audit tree heads for authorities (one partition, kept forever). Key: signing key id. */
  auditTreeHeads: 'mod.audit-tree-heads.v1',
  /** URLs ISPs saw (`mod.url-observed.v1`, key: host) and URL-list changes for every fetcher (compacted). */
  urlObserved: 'mod.url-observed.v1',
  urlListChanges: 'mod.url-list-changes.v1',
  /** Takedown orders for platforms. Key: platform tenant id, so each platform sees its orders in order. */
  takedownRequests: 'mod.takedown-requests.v1',
  /** Order status and clock changes (incl. re-notices and escalations). Key: order id. */
  orderEvents: 'mod.order-events.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Topic-level settings applied when the project creates its topics. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Milliseconds a message is kept; media topics keep bytes only as long as processing needs. */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
}

const HOUR_MS = 60 * 60 * 1000;

/** Default topic layout; `prefix` lets tests own their topics (e.g. `t-3f2a.`). */
export function topicSpecs(prefix = ''): TopicSpec[] {
  return [
    {
      name: prefix + Topics.mediaSubmitted,
      partitions: 3,
      retentionMs: 6 * HOUR_MS,
      cleanupPolicy: 'delete',
    },
    { name: prefix + Topics.verdicts, partitions: 3, retentionMs: 7 * 24 * HOUR_MS, cleanupPolicy: 'delete' },
    {
      name: prefix + Topics.blockingRequests,
      partitions: 3,
      retentionMs: 30 * 24 * HOUR_MS,
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
    { name: prefix + Topics.urlObserved, partitions: 3, retentionMs: 24 * HOUR_MS, cleanupPolicy: 'delete' },
    { name: prefix + Topics.urlListChanges, partitions: 1, retentionMs: -1, cleanupPolicy: 'compact' },
    {
      name: prefix + Topics.takedownRequests,
      partitions: 3,
      retentionMs: 30 * 24 * HOUR_MS,
      cleanupPolicy: 'delete',
    },
    {
      name: prefix + Topics.orderEvents,
      partitions: 3,
      retentionMs: 30 * 24 * HOUR_MS,
      cleanupPolicy: 'delete',
    },
  ];
}

/** Topic names with an optional prefix (tests use a random prefix per test). */
export function topicNames(prefix = ''): { [K in keyof typeof Topics]: string } {
  return Object.fromEntries(Object.entries(Topics).map(([k, v]) => [k, prefix + v])) as {
    [K in keyof typeof Topics]: string;
  };
}
