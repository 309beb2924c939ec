import { setTimeout as sleep } from 'node:timers/promises';
import { MessagesStreamFallbackModes, MessagesStreamModes, type Consumer } from '@platformatic/kafka';
import type { Logger, StepMetrics, Tracer } from '@mod/telemetry';
import type { Kafka } from './client.js';
import { newConsumer, type Subscription } from './consumer.js';
import { budgetFetches, type FetchBudget } from './fetch-budget.js';
import type { HeldBytes } from './held-bytes.js';
import { readRecordAt } from './inspect.js';
import { claimInstanceId, isFencedInstance, releaseInstanceId, watchFencing } from './membership.js';
import { MAX_FOLDED_WAITING, type DeadLetterBound, type DeadLetterTenancy } from './dead-letter-fold.js';
import { createMessageProcessor } from './processing.js';
import type { Producer } from './producer.js';
import { pumpRecords, READ_AHEAD_BYTES, readAheadPlan } from './pump.js';
import type { Step } from './step.js';
import { partitionCounts, PARTITIONS_CHECK_MS, subscriptionChanged } from './subscription-change.js';

/** `tenantOf` and `recordTenantOf` say whose dead-letter bound a record counts in (`DeadLetterTenancy`). */
export interface ConsumerRunnerOptions extends DeadLetterTenancy {
  kafka: Kafka;
  groupId: string;
  /** Topics consumed from the start. */
  topics: readonly string[];
  /**
   * Topics that appear while running (partners' own topics): listed every `intervalMs`; when the set changes, the
   * runner finishes what it has in flight, commits, and subscribes again with the new set. As often (every
   * `PARTITIONS_CHECK_MS` without it), partitions added to a topic make it subscribe again (`partitionCounts`).
   */
  discover?: { list: () => Promise<string[]>; intervalMs: number };
  /** Name of the step in metrics and logs (small fixed set: scan, action, ...). */
  stepName: string;
  step: Step;
  producer: Producer;
  deadLetterTopic: string;
  /**
   * Dead letters written one by one per source tenant (`tenantOf`, `recordTenantOf`) within a window, across
   * the partitions this runner owns; the rest of the window's are folded into one summary letter per partition
   * (`MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED`), their offsets committed once it is written. Default
   * `DEAD_LETTERS_PER_SOURCE` (100) per `DEAD_LETTERS_WINDOW_MS` (a minute).
   */
  deadLetters?: DeadLetterBound;
  logger: Logger;
  metrics: StepMetrics;
  /** Messages of one partition processed at once (offsets still commit in order). Default 1. */
  maxInFlight?: number;
  /** Partitions processed at once. Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Bytes of records read ahead of the steps, a queue per partition whose records start in turn (`createFairQueue`).
   * Default `READ_AHEAD_BYTES`: more than a fetch holds of one partition, so the other partitions' records of that
   * fetch are reached and served alongside a partner's backlog, not after it. Less bounds everything read and not
   * yet started, fetches included (`readAheadPlan`): the media runners, so that media waits in memory only as long
   * as processing needs.
   */
  readAheadBytes?: number;
  /**
   * Bytes of records' values the steps hold at once, at most (one record always starts when none holds any).
   * Set, a message whose step answers `await` (media waiting for its verdict) is held without its value, which is
   * read again from its topic when the step answers `reread` (`readRecordAt`, a throwaway group of this group's
   * prefix): waiting costs no bytes. Default: no bound, and `await` is a retry that keeps the value.
   */
  maxInFlightBytes?: number;
  /** Backoff after a retriable failure, doubling up to maxRetryDelayMs. Defaults 200 / 10000. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Start from the earliest offset when the group has none. Default true. */
  fromBeginning?: boolean;
  /**
   * Each message is processed in a consumer span, child of the context its `traceparent` header names (on a
   * discovered partner topic: linked to it, in a trace of its own); what the step publishes carries it on.
   * Default: no spans of its own (the header's context still passes through).
   */
  tracer?: Tracer;
}

export interface ConsumerRunner {
  start(): Promise<void>;
  /** Stops fetching, lets in-flight messages finish, commits resolved offsets and disconnects. */
  stop(): Promise<void>;
  /** Joined its group and running. */
  isReady(): boolean;
  /** The topics of the current subscription. */
  topics(): readonly string[];
  /** Bytes of records' values the steps hold now (`maxInFlightBytes`). */
  inFlightBytes(): number;
  /**
   * Bytes of records received and not yet started now, and the most since the runner was made: with a
   * `readAheadBytes` below `READ_AHEAD_BYTES`, at most that plus one record (`budgetFetches`); otherwise not counted
   * (0). The metrics' `readAheadBytes` gauge follows the first.
   */
  readAhead(): { heldBytes: number; peakBytes: number };
}

/** How long closing a session's client may take before the runner moves on without it. */
const CLOSE_TIMEOUT_MS = 10_000;

export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  // Messages handled at once across the subscription (per partition as before, times the partitions at once).
  const concurrency = maxInFlight * Math.max(1, options.partitionsConsumedConcurrently ?? 1);
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const readAhead = readAheadPlan(Math.max(1, options.readAheadBytes ?? READ_AHEAD_BYTES), concurrency);
  const gauge = (bytes: number) => options.metrics.readAheadBytes.set({ step: options.stepName }, bytes);
  let stopping = false;
  /** This runner's static membership id (claimed at start), dropped if the broker fences it. */
  let instanceId: string | undefined;
  // Every outcome's series exists from the start, so the first dead letter is an increase from 0 (alerts see it).
  for (const outcome of ['ok', 'drop', 'dlq', 'retry'] as const)
    options.metrics.outcomes.inc({ step: options.stepName, outcome }, 0);
  const bounded = options.maxInFlightBytes !== undefined;
  const processing = createMessageProcessor(
    {
      ...options,
      ...(bounded
        ? {
            reread: async (m) => {
              const at = `${options.groupId}.reread.`;
              const record = await readRecordAt(options.kafka, m.topic, m.partition, m.offset, 30_000, at);
              // Copied: the record is a view into the read's fetch, which may hold the records after it.
              return record === null || record.value === null ? null : Buffer.from(record.value);
            },
          }
        : {}),
    },
    log,
  );

  /** One subscription: a group member, its stream, its topics, and whether it is being stopped. */
  interface Session extends Subscription {
    topics: readonly string[];
    /** The topics' partition counts, read before joining (`partitionCounts`): any added after are seen added. */
    partitions: string;
    stopping: boolean;
    /** Settles when the session has finished its in-flight messages and committed. */
    done: Promise<void>;
    /** Set once the session is being closed (`closeSession`). */
    closed?: Promise<void>;
    /** Stops watching the client's group operations for fencing. */
    unwatch: () => void;
    /** Bytes of records' values its steps hold (set as its pump starts). */
    held?: HeldBytes;
    /** The budget its fetches are held to, with a read-ahead below `READ_AHEAD_BYTES`. */
    budget?: FetchBudget;
  }
  /** The most bytes read ahead by the sessions before the current one. */
  let peakBefore = 0;
  let session: Session | undefined;
  let discoverTimer: NodeJS.Timeout | undefined;
  let discovering: Promise<void> = Promise.resolve();
  let supervising: Promise<void> = Promise.resolve();

  async function subscribe(topics: readonly string[]): Promise<Session> {
    const consumer = newConsumer(options.kafka, options.groupId, {
      // A static member restarted after a crash rejoins with its id and gets its partitions back at once, without
      // a rebalance; one that does not come back is replaced within the session timeout, as a dynamic one is.
      ...(instanceId === undefined ? {} : { groupInstanceId: instanceId }),
      rebalanceTimeout: 30_000,
      // Bounds how long stop() waits for an idle fetch to return.
      maxWaitTime: 1_000,
      // Fetch sizes and the stream's own buffer, as far as the read-ahead lets them go (`readAheadPlan`).
      ...readAhead.fetch,
    });
    const budget =
      readAhead.budgetBytes === undefined ? undefined : budgetFetches(consumer, readAhead.budgetBytes, gauge);
    // Heard for the client's whole life, closing included (see clientErrorHandler).
    consumer.on('error', clientErrorHandler(consumer));
    const unwatch = watchTwin(consumer);
    try {
      const partitions = await partitionCounts(consumer, topics);
      const stream = await consumer.consume({
        topics: [...topics],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode:
          (options.fromBeginning ?? true)
            ? MessagesStreamFallbackModes.EARLIEST
            : MessagesStreamFallbackModes.LATEST,
        autocommit: false,
      });
      if (consumer.closed) {
        // Closed while joining (`watchTwin`) yet joined: a stream left open on a closed client keeps its
        // assignment with no topics, and its next fetch throws inside the client. Closed here, it never fetches.
        await stream.close().catch(() => undefined);
        throw new Error('consumer closed while joining its group');
      }
      const s: Session = {
        consumer,
        stream,
        topics,
        partitions,
        stopping: false,
        done: Promise.resolve(),
        unwatch,
      };
      if (budget !== undefined) s.budget = budget;
      s.done = pump(s);
      return s;
    } catch (err) {
      unwatch();
      await consumer.close(true).catch(() => undefined);
      if (isFencedInstance(err)) dropInstanceId('FENCED_INSTANCE_ID');
      throw err;
    }
  }

  /**
   * Another live member joined the group with this runner's instance id (two instances configured alike): the
   * broker replaces (fences) the older one, and the client would rejoin with the same id and replace the other in
   * turn, for ever, both fetching the same partitions. Says so once, loudly, and carries on as a dynamic member
   * (the session is closed and `supervise` subscribes again without the id); messages in flight are redone by
   * whoever owns their partition now (steps are idempotent).
   */
  function dropInstanceId(evidence: string): void {
    if (instanceId === undefined) return;
    log.error(
      { code: 'MOD_ERR_KAFKA_INSTANCE_FENCED', groupInstanceId: instanceId, evidence },
      'another consumer joined the group with this instance id: KAFKA_GROUP_INSTANCE_ID must be unique per ' +
        'live instance; continuing as a dynamic member (after a crash, recovery waits for the session timeout)',
    );
    releaseInstanceId(options.groupId, instanceId);
    instanceId = undefined;
  }

  /**
   * Watches one client's requests for a twin (`watchFencing`): on evidence, drops the instance id and closes the
   * client's session (or the client, while it is still joining).
   */
  function watchTwin(consumer: Consumer): () => void {
    return watchFencing(
      consumer,
      () => instanceId !== undefined,
      (evidence) => {
        dropInstanceId(evidence);
        const current = session;
        if (current?.consumer === consumer) void closeSession(current);
        // Fenced while still joining: the client would go on rejoining with the id; closing it makes `subscribe`
        // fail, and `supervise` subscribes again without the id.
        else void consumer.close(true).catch(() => undefined);
      },
    );
  }

  /**
   * The client reports on its `error` event what failed outside any call of ours: a rejoin after a failed
   * heartbeat that ran out of retries, or was cut short by closing the client (a fenced twin closed while it
   * rejoins). Unheard, Node turns the event into an uncaught exception and the worker dies. The member has left
   * its group by then: the session is closed and `supervise` subscribes again; an error on a client already being
   * closed (or of a runner stopping) is the close itself, logged and otherwise ignored.
   */
  function clientErrorHandler(consumer: Consumer): (err: unknown) => void {
    return (err) => {
      const current = session;
      const ours = current?.consumer === consumer;
      if (stopping || !ours || current.stopping) {
        log.warn({ err }, 'consumer client failed while closing');
        return;
      }
      log.error({ err }, 'consumer client left its group (rejoin failed); subscribing again');
      if (isFencedInstance(err)) dropInstanceId('FENCED_INSTANCE_ID');
      void closeSession(current);
    };
  }

  /** Feeds the session's messages to the steps (`pumpRecords`) until its stream ends; commits what finished. */
  function pump(s: Session): Promise<void> {
    return pumpRecords({
      stream: s.stream,
      consumer: s.consumer,
      isStopping: () => stopping || s.stopping,
      process: processing.process,
      settle: processing.settle,
      abandon: processing.abandon,
      concurrency,
      maxWaiting: options.deadLetters?.maxWaiting ?? MAX_FOLDED_WAITING,
      queueBytes: readAhead.queueBytes,
      ...(s.budget === undefined ? {} : { budget: s.budget }),
      ...(bounded ? { maxInFlightBytes: options.maxInFlightBytes } : {}),
      onHeld: (held) => (s.held = held),
      observeAge: (seconds) => options.metrics.messageAge.observe({ step: options.stepName }, seconds),
      log,
    });
  }

  async function wantedTopics(): Promise<string[]> {
    const found = options.discover ? await options.discover.list() : [];
    return [...new Set([...options.topics, ...found])].sort();
  }

  /** Stops a session: its stream ends, its in-flight messages finish and commit, its member leaves the group. */
  function closeSession(s: Session): Promise<void> {
    s.closed ??= (async () => {
      s.stopping = true;
      await s.stream.close().catch(() => undefined);
      await s.done;
      // A client fenced by a twin may never finish leaving: do not let that keep this runner out of the group.
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        s.consumer.close(true).then(
          () => true,
          (err: unknown) => {
            log.warn({ err }, 'consumer not closed cleanly');
            return true;
          },
        ),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (!closed)
        log.warn(
          { timeoutMs: CLOSE_TIMEOUT_MS },
          'consumer did not close in time; subscribing again without it',
        );
      s.unwatch();
    })();
    return s.closed;
  }

  /**
   * Keeps a subscription running until stop: when the session ends (closed for new topics by `rediscover`, or
   * its stream failed after the client's own retries) a new one subscribes to the topics wanted now.
   */
  async function supervise(): Promise<void> {
    for (;;) {
      const current = session;
      if (current !== undefined) {
        await current.done;
        if (stopping) return;
        if (!current.stopping) log.warn('consumer stream ended; subscribing again');
        await closeSession(current);
      }
      if (stopping) return;
      try {
        const next = await subscribe(await wantedTopics());
        peakBefore = Math.max(peakBefore, session?.budget?.peakBytes ?? 0);
        session = next;
        // stop() came while subscribing: it closed the session it saw, not this one.
        if (stopping) {
          await closeSession(next);
          return;
        }
      } catch (err) {
        peakBefore = Math.max(peakBefore, session?.budget?.peakBytes ?? 0);
        session = undefined;
        log.error({ err }, 'could not subscribe; trying again');
        await sleep(maxDelay);
      }
    }
  }

  /** Closes the session when its topics or their partition counts changed (`supervise` subscribes again). */
  async function rediscover(): Promise<void> {
    const current = session;
    if (stopping || current === undefined) return;
    const changed = await subscriptionChanged(current, wantedTopics, log);
    if (changed && !stopping && session === current) await closeSession(current);
  }

  return {
    isReady: () => !stopping && session !== undefined && !session.stopping && session.consumer.isActive(),
    async start() {
      stopping = false;
      const configured = options.kafka.groupInstanceId;
      if (instanceId === undefined && configured !== undefined)
        instanceId = claimInstanceId(options.groupId, configured);
      const first = await subscribe(await wantedTopics()).catch(async (err: unknown) => {
        // Fenced by a twin while joining (the id is dropped then): this start joins again as a dynamic member
        // instead of failing the service. Any other failure is the caller's to see.
        if (configured === undefined || instanceId !== undefined) throw err;
        return subscribe(await wantedTopics());
      });
      session = first;
      supervising = supervise();
      const intervalMs = options.discover?.intervalMs ?? PARTITIONS_CHECK_MS;
      const tick = () => {
        discovering = rediscover()
          .catch((err: unknown) => log.error({ err }, 'could not subscribe again'))
          .finally(() => {
            if (!stopping) discoverTimer = setTimeout(tick, intervalMs);
          });
      };
      discoverTimer = setTimeout(tick, intervalMs);
      log.info({ topics: first.topics }, 'consuming');
    },
    async stop() {
      stopping = true;
      clearTimeout(discoverTimer);
      await discovering;
      if (session) await closeSession(session);
      await supervising;
      releaseInstanceId(options.groupId, instanceId);
      instanceId = undefined;
    },
    topics: () => session?.topics ?? [],
    inFlightBytes: () => session?.held?.held ?? 0,
    readAhead: () => ({
      heldBytes: session?.budget?.heldBytes ?? 0,
      peakBytes: Math.max(peakBefore, session?.budget?.peakBytes ?? 0),
    }),
  };
}
