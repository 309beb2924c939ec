import type { Consumer } from '@platformatic/kafka';
import type { Logger } from '@mod/telemetry';

/** How often a runner without `discover` checks its topics' partition counts (`subscriptionChanged`). */
export const PARTITIONS_CHECK_MS = 60_000;

/** Each topic's partition count as the cluster has it now (`topic:count`, in order), or '' when it cannot be read. */
export async function partitionCounts(consumer: Consumer, topics: readonly string[]): Promise<string> {
  try {
    const metadata = await consumer.metadata({ topics: [...topics], forceUpdate: true });
    return topics.map((t) => `${t}:${metadata.topics.get(t)?.partitionsCount ?? 0}`).join(',');
  } catch {
    return '';
  }
}

/**
 * Whether a subscription must be made again: the topics wanted now are others (a partner's topic appeared), or a
 * topic has more partitions than when it subscribed (`partitions`, `partitionCounts` then). A group assigns partitions
 * added to a topic only at its next rebalance, which nothing else starts: their records were never read.
 */
export async function subscriptionChanged(
  current: { consumer: Consumer; topics: readonly string[]; partitions: string },
  wanted: () => Promise<string[]>,
  log: Logger,
): Promise<boolean> {
  let topics: string[];
  try {
    topics = await wanted();
  } catch (err) {
    log.warn({ err }, 'could not list topics; keeping the current subscription');
    return false;
  }
  if (topics.join('\n') !== current.topics.join('\n')) {
    log.info({ topics }, 'topics changed; subscribing again');
    return true;
  }
  const partitions = await partitionCounts(current.consumer, current.topics);
  if (partitions === '' || partitions === current.partitions) return false;
  log.info({ before: current.partitions, partitions }, 'partitions added; subscribing again');
  return true;
}
