import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Codecs, MEDIA_META_HEADER } from '@mod/contracts';
import { followTopic, type FollowedRecord, type Producer, type TopicFollower } from '@mod/kafka';
import type { Logger } from '@mod/telemetry';
import type { BenchWorld } from './e2e-world.js';
import { apiMediaMeta } from './media-events.js';

/** What `bench:e2e` sends and what it reads back, with the time of each. */

/** Each verdict and classification, with the time it was read (performance.now()). */
export interface PipelineOutputs {
  /** Submission id -> when its first verdict was read. */
  verdictAt: Map<string, number>;
  /** Submissions whose verdict is a match. */
  matchedIds: Set<string>;
  classifiedAt: number[];
  /** Resolves once `expected` submissions have a verdict. */
  verdictsIn: Promise<void>;
}

/** Follows the verdicts and classifications topics from the start; the followers go to `followers` to be stopped. */
export async function followPipelineOutputs(
  world: BenchWorld,
  logger: Logger,
  expected: number,
  followers: TopicFollower[],
): Promise<PipelineOutputs> {
  const verdictAt = new Map<string, number>();
  const matchedIds = new Set<string>();
  const classifiedAt: number[] = [];
  let allVerdicts!: () => void;
  const verdictsIn = new Promise<void>((r) => (allVerdicts = r));
  const follow = async (
    topic: string,
    name: string,
    onRecord: (r: FollowedRecord) => void,
  ): Promise<void> => {
    followers.push(
      await followTopic({
        kafka: world.kafka,
        topic,
        groupId: `${world.prefix}bench-${name}`,
        from: new Map(),
        logger,
        onRecord: (r) => {
          onRecord(r);
          return Promise.resolve();
        },
      }),
    );
  };
  await follow(world.topics.verdicts, 'verdicts', (r) => {
    if (r.key !== null && !verdictAt.has(r.key)) {
      verdictAt.set(r.key, performance.now());
      if (Codecs.verdict.decode(r.value).decision === 'match') matchedIds.add(r.key);
    }
    if (verdictAt.size === expected) allVerdicts();
  });
  await follow(world.topics.classifications, 'classifications', () => {
    classifiedAt.push(performance.now());
  });
  return { verdictAt, matchedIds, classifiedAt, verdictsIn };
}

export interface Publication {
  /** Submission id -> when it was handed to the producer. */
  publishedAt: Map<string, number>;
  /** Submissions that copy a bank image. */
  knownIds: Set<string>;
  /** When the first event was handed over. */
  started: number;
  /** Seconds from the first send to the last acknowledgement. */
  publishedS: number;
}

/**
 * Publishes one media event an image: paced at `rate` events/s, or (rate 0) as fast as the broker takes them,
 * with a window of 16 sends in flight.
 */
export async function publishMediaEvents(
  world: BenchWorld,
  producer: Producer,
  events: readonly { bytes: Buffer; known: boolean }[],
  rate: number,
): Promise<Publication> {
  const publishedAt = new Map<string, number>();
  const knownIds = new Set<string>();
  const started = performance.now();
  const window = 16;
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < events.length; i++) {
    if (rate > 0) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const submissionId = randomUUID();
    const meta = apiMediaMeta(submissionId, 'bench-platform');
    publishedAt.set(submissionId, performance.now());
    if (events[i]!.known) knownIds.add(submissionId);
    inFlight.push(
      producer.send({
        topic: world.topics.mediaSubmitted,
        messages: [
          {
            key: submissionId,
            value: events[i]!.bytes,
            headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) },
          },
        ],
      }),
    );
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  const publishedS = (performance.now() - started) / 1000;
  return { publishedAt, knownIds, started, publishedS };
}
