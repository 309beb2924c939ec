import { createHash } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import {
  Consumer as PlatformaticConsumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { Codecs, type DeadLetter, isModError } from '@mod/contracts';
import {
  contextOfTraceparent,
  noTracer,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  linkToOutside,
  TRACEPARENT_HEADER,
  type Logger,
  type Span,
  type StepMetrics,
  type Tracer,
} from '@mod/telemetry';
import type { Kafka } from './client.js';
import type { Producer } from './producer.js';

/** What a pipeline step decided for one message. The runner owns offsets, dead letters and retries. */
export type StepOutcome =
  | { kind: 'ok' }
  /** Nothing to do (e.g. a replay already applied); the offset moves on. */
  | { kind: 'drop'; reason: string }
  /** The input can never succeed: dead-letter it with a reason code and move on. */
  | { kind: 'dlq'; code: string; message: string }
  /** An outage (broker, database): do not commit; back off and try the same message again. */
  | { kind: 'retry'; error: unknown };

export const ok: StepOutcome = { kind: 'ok' };

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** Record headers (the first value of a repeated header). */
  headers: Readonly<Record<string, Buffer>>;
  /** When the record was written, ms since the epoch. */
  timestamp: number;
}

export type Step = (message: ConsumedMessage) => Promise<StepOutcome>;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  /** Topics consumed from the start. */
  topics: readonly string[];
  /**
   * Topics that appear while running (partners' own topics): listed every `intervalMs`; when the set changes, the
   * runner finishes what it has in flight, commits, and subscribes again with the new set.
   */
  discover?: { list: () => Promise<string[]>; intervalMs: number };
  /** Name of the step in metrics and logs (small fixed set: scan, action, ...). */
  stepName: string;
  step: Step;
  producer: Producer;
  deadLetterTopic: string;
  logger: Logger;
  metrics: StepMetrics;
  /** Messages of one partition processed at once (offsets still commit in order). Default 1. */
  maxInFlight?: number;
  /** Partitions processed at once. Default 1. */
  partitionsConsumedConcurrently?: number;
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
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long closing a session's client may take before the runner moves on without it. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Static membership ids in use in this process, per group. Two runners of one group in one process (tests run
 * two scanners side by side) must not share an id: the second takes `<id>-2`, and so on, in start order.
 */
const claimedInstanceIds = new Set<string>();

function claimInstanceId(groupId: string, id: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? id : `${id}-${n}`;
    const key = `${groupId}\u0000${candidate}`;
    if (!claimedInstanceIds.has(key)) {
      claimedInstanceIds.add(key);
      return candidate;
    }
  }
}

const releaseInstanceId = (groupId: string, id: string | undefined) =>
  id === undefined ? undefined : claimedInstanceIds.delete(`${groupId}\u0000${id}`);

/**
 * Every request the client sends, traced by it: a failed one's context names its connection, whose `ownerId` is
 * the client's `instanceId`. The only place a FENCED_INSTANCE_ID is seen every time: the client retries joins
 * and rejoins after a fenced heartbeat on its own, without surfacing the error.
 */
const requests = tracingChannel('plt:kafka:connections:api');

/** Whether an error (or one it wraps) is the broker's protocol error `apiId` (numeric `code`). */
function isProtocolError(err: unknown, apiId: string, code: number, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as { apiId?: unknown; apiCode?: unknown; errors?: unknown; cause?: unknown };
  if (e.apiId === apiId || e.apiCode === code) return true;
  const nested = Array.isArray(e.errors) ? (e.errors as unknown[]) : [];
  return [...nested, e.cause].some((inner) => isProtocolError(inner, apiId, code, depth + 1));
}

/** Whether an error (or one it wraps) is the broker's FENCED_INSTANCE_ID (code 82). */
export const isFencedInstance = (err: unknown): boolean => isProtocolError(err, 'FENCED_INSTANCE_ID', 82);

/** UNKNOWN_MEMBER_ID (code 25): the coordinator no longer has this member id (expired, or replaced). */
const isUnknownMember = (err: unknown): boolean => isProtocolError(err, 'UNKNOWN_MEMBER_ID', 25);

/**
 * Replacements of a static member within `REPLACED_WINDOW_MS` that mean another live member shares its id. The
 * client commits without the instance id, so a member replaced by a twin hears UNKNOWN_MEMBER_ID on its commits
 * (not FENCED_INSTANCE_ID), rejoins, and replaces the twin in turn, several times a second; a member whose session
 * merely expired hears it once or twice and rejoins for good.
 */
const REPLACED_LIMIT = 4;
const REPLACED_WINDOW_MS = 10_000;

/** A thrown error becomes an outcome here, decided once: retriable errors retry, bad input dead-letters. */
export function outcomeOfError(err: unknown): StepOutcome {
  if (isModError(err) && !err.retriable) return { kind: 'dlq', code: err.code, message: err.message };
  return { kind: 'retry', error: err };
}

export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  // Messages handled at once across the subscription (per partition as before, times the partitions at once).
  const concurrency = maxInFlight * Math.max(1, options.partitionsConsumedConcurrently ?? 1);
  const baseDelay = options.retryDelayMs ?? 200;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const tracer = options.tracer ?? noTracer;
  let stopping = false;
  /** This runner's static membership id (claimed at start), dropped if the broker fences it. */
  let instanceId: string | undefined;
  // Every outcome's series exists from the start, so the first dead letter is an increase from 0 (alerts see it).
  for (const outcome of ['ok', 'drop', 'dlq', 'retry'] as const)
    options.metrics.outcomes.inc({ step: options.stepName, outcome }, 0);

  async function deadLetter(m: ConsumedMessage, code: string, message: string): Promise<void> {
    const record: DeadLetter = {
      eventId: crypto.randomUUID(),
      sourceTopic: m.topic,
      sourcePartition: m.partition,
      sourceOffset: m.offset,
      sourceKey: m.key,
      valueSha256: createHash('sha256')
        .update(m.value ?? Buffer.alloc(0))
        .digest('hex'),
      valueBytes: m.value?.length ?? 0,
      consumer: options.groupId,
      reason: {
        code: /^MOD_ERR_[A-Z0-9_]+$/.test(code) ? code : 'MOD_ERR_UNCLASSIFIED',
        message: message.slice(0, 2000),
      },
      failedAt: new Date().toISOString(),
    };
    await options.producer.send({
      topic: options.deadLetterTopic,
      messages: [{ key: m.key, value: Codecs.deadLetter.encode(record) }],
    });
    log.warn({ partition: m.partition, offset: m.offset, code, reason: message }, 'dead-lettered');
  }

  /** Processes a message in its consumer span (the step runs inside it: its logs and messages join the trace). */
  function traced(m: ConsumedMessage, isStopping: () => boolean): Promise<boolean> {
    // Our own topics carry our own trace context: it is the parent. A partner's topic (found by `discover`) is
    // written outside the system: its context is only linked, as the API links a caller's, so a partner cannot
    // graft its messages onto our traces (it sees our trace ids in the requests it receives).
    const internal = options.topics.includes(m.topic);
    const sent = m.headers[TRACEPARENT_HEADER];
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': m.topic,
      'messaging.destination.partition.id': String(m.partition),
      'messaging.kafka.offset': Number(m.offset),
      'messaging.consumer.group.name': options.groupId,
      ...(m.key === null ? {} : { 'messaging.kafka.message.key': m.key }),
    };
    return tracer.startActiveSpan(
      options.stepName,
      {
        kind: SpanKind.CONSUMER,
        attributes,
        ...(internal ? {} : linkToOutside(sent, 'partner')),
      },
      internal ? contextOfTraceparent(sent) : ROOT_CONTEXT,
      async (span) => {
        try {
          return await process(m, isStopping, span);
        } finally {
          span.end();
        }
      },
    );
  }

  /** Runs the step until it yields a final outcome; returns false if stopped before that. */
  async function process(m: ConsumedMessage, isStopping: () => boolean, span: Span): Promise<boolean> {
    let delay = baseDelay;
    for (;;) {
      const started = process_hrtime();
      let outcome: StepOutcome;
      try {
        outcome = await options.step(m);
      } catch (err) {
        outcome = outcomeOfError(err);
      }
      if (outcome.kind === 'dlq') {
        try {
          await deadLetter(m, outcome.code, outcome.message);
        } catch (err) {
          outcome = { kind: 'retry', error: err };
        }
      }
      const seconds = Number(process_hrtime() - started) / 1e9;
      options.metrics.duration.observe({ step: options.stepName, outcome: outcome.kind }, seconds);
      options.metrics.outcomes.inc({ step: options.stepName, outcome: outcome.kind });
      span.setAttribute('mod.outcome', outcome.kind);
      if (outcome.kind === 'dlq')
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${outcome.code}: dead-lettered` });
      if (outcome.kind === 'drop') span.setAttribute('mod.drop_reason', outcome.reason);
      if (outcome.kind !== 'retry') return true;
      span.addEvent('retry', { 'mod.delay_ms': delay, 'mod.error': errorName(outcome.error) });
      log.warn(
        { partition: m.partition, offset: m.offset, err: outcome.error, delayMs: delay },
        'step failed; retrying',
      );
      if (isStopping()) return false;
      await sleep(delay);
      delay = Math.min(maxDelay, delay * 2);
      if (isStopping()) return false;
    }
  }

  /** One subscription: a group member, its stream, its topics, and whether it is being stopped. */
  interface Session {
    consumer: PlatformaticConsumer;
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
    topics: readonly string[];
    stopping: boolean;
    /** Settles when the session has finished its in-flight messages and committed. */
    done: Promise<void>;
    /** Set once the session is being closed (`closeSession`). */
    closed?: Promise<void>;
    /** Stops watching the client's group operations for fencing. */
    unwatch: () => void;
  }
  let session: Session | undefined;
  let discoverTimer: NodeJS.Timeout | undefined;
  let discovering: Promise<void> = Promise.resolve();
  let supervising: Promise<void> = Promise.resolve();

  async function subscribe(topics: readonly string[]): Promise<Session> {
    const consumer = new PlatformaticConsumer({
      ...options.kafka.base,
      groupId: options.groupId,
      // A static member restarted after a crash rejoins with its id and gets its partitions back at once, without
      // a rebalance; one that does not come back is replaced within the session timeout, as a dynamic one is.
      ...(instanceId === undefined ? {} : { groupInstanceId: instanceId }),
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      // Bounds how long stop() waits for an idle fetch to return.
      maxWaitTime: 1_000,
      maxBytesPerPartition: 16 * 1024 * 1024,
      // Messages buffered ahead of the steps: the in-flight window, so media bytes are not hoarded.
      highWaterMark: concurrency,
    });
    const unwatch = watchFencing(consumer);
    try {
      const stream = await consumer.consume({
        topics: [...topics],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode:
          (options.fromBeginning ?? true)
            ? MessagesStreamFallbackModes.EARLIEST
            : MessagesStreamFallbackModes.LATEST,
        autocommit: false,
      });
      const s: Session = { consumer, stream, topics, stopping: false, done: Promise.resolve(), unwatch };
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
   * Watches one client's requests (heartbeats, joins, syncs, commits) for a twin: FENCED_INSTANCE_ID, or its
   * member id replaced again and again (UNKNOWN_MEMBER_ID `REPLACED_LIMIT` times within `REPLACED_WINDOW_MS`).
   */
  function watchFencing(consumer: PlatformaticConsumer): () => void {
    if (instanceId === undefined) return () => undefined;
    const replaced: number[] = [];
    const onError = (message: unknown) => {
      const context = message as { connection?: { ownerId?: unknown }; error?: unknown };
      if (context.connection?.ownerId !== consumer.instanceId || instanceId === undefined) return;
      let evidence: string | undefined;
      if (isFencedInstance(context.error)) evidence = 'FENCED_INSTANCE_ID';
      else if (isUnknownMember(context.error)) {
        const now = Date.now();
        replaced.push(now);
        while ((replaced[0] ?? now) < now - REPLACED_WINDOW_MS) replaced.shift();
        if (replaced.length >= REPLACED_LIMIT)
          evidence = `UNKNOWN_MEMBER_ID ${replaced.length} times within ${REPLACED_WINDOW_MS / 1000} s`;
      }
      if (evidence === undefined) return;
      dropInstanceId(evidence);
      const current = session;
      if (current?.consumer === consumer) void closeSession(current);
      // Fenced while still joining: the client would go on rejoining with the id; closing it makes `subscribe`
      // fail, and `supervise` subscribes again without the id.
      else void consumer.close(true).catch(() => undefined);
    };
    requests.error.subscribe(onError);
    return () => requests.error.unsubscribe(onError);
  }

  /**
   * Feeds the session's messages to the step, `concurrency` at once, and commits per partition only the offsets
   * below which every message is done (in order, whatever order they finish in). Returns once the stream ended
   * (closed by stop or a re-subscription, or failed) and everything in flight finished and was committed.
   */
  async function pump(s: Session): Promise<void> {
    const isStopping = () => stopping || s.stopping;
    const commits = createCommitter(s.consumer, log);
    const inFlight = new Set<Promise<void>>();
    try {
      for await (const raw of s.stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
        if (isStopping()) break;
        const m = consumedOf(raw);
        options.metrics.messageAge.observe({ step: options.stepName }, messageAgeSeconds(m.timestamp));
        const ticket = commits.track(raw);
        const task = traced(m, isStopping).then((finished) => {
          if (finished) commits.done(ticket);
        });
        const settled = task.finally(() => inFlight.delete(settled));
        inFlight.add(settled);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    } catch (err) {
      if (!isStopping()) log.error({ err }, 'consumer stream failed');
    } finally {
      await Promise.all(inFlight);
      await commits.flush();
    }
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
        session = next;
        // stop() came while subscribing: it closed the session it saw, not this one.
        if (stopping) {
          await closeSession(next);
          return;
        }
      } catch (err) {
        session = undefined;
        log.error({ err }, 'could not subscribe; trying again');
        await sleep(maxDelay);
      }
    }
  }

  /** Closes the session when the discovered topics changed (`supervise` subscribes again). */
  async function rediscover(): Promise<void> {
    const current = session;
    if (stopping || current === undefined) return;
    let topics: string[];
    try {
      topics = await wantedTopics();
    } catch (err) {
      log.warn({ err }, 'could not list topics; keeping the current subscription');
      return;
    }
    if (stopping || topics.join('\n') === current.topics.join('\n')) return;
    log.info({ topics }, 'topics changed; subscribing again');
    await closeSession(current);
  }

  return {
    isReady: () => !stopping && session !== undefined && !session.stopping && session.consumer.isActive(),
    async start() {
      stopping = false;
      const configured = options.kafka.groupInstanceId;
      if (instanceId === undefined && configured !== undefined)
        instanceId = claimInstanceId(options.groupId, configured);
      const first = await subscribe(await wantedTopics());
      session = first;
      supervising = supervise();
      if (options.discover) {
        const { intervalMs } = options.discover;
        const tick = () => {
          discovering = rediscover()
            .catch((err: unknown) => log.error({ err }, 'could not subscribe again'))
            .finally(() => {
              if (!stopping) discoverTimer = setTimeout(tick, intervalMs);
            });
        };
        discoverTimer = setTimeout(tick, intervalMs);
      }
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
  };
}

/** The runner's view of a record: key as text, the first value of each header. */
function consumedOf(raw: Message<Buffer, Buffer, Buffer, Buffer>): ConsumedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of raw.headerEntries) {
    const key = name.toString('utf8');
    if (!(key in headers)) headers[key] = value;
  }
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset.toString(),
    key: raw.key === undefined || raw.key === null ? null : raw.key.toString('utf8'),
    value: raw.value === undefined || raw.value === null ? null : raw.value,
    headers,
    timestamp: Number(raw.timestamp),
  };
}

interface Ticket {
  key: string;
  entry: { offset: bigint; leaderEpoch: number; done: boolean };
}

/**
 * In-order offset commits per partition: `track` a record as it is handed out, `done` when its step finished;
 * the offset after the longest finished prefix is committed (batched, every 100 ms, and at `flush`). A record
 * seen again (a rebalance gave the partition back from its committed offset) starts that partition afresh.
 */
function createCommitter(consumer: PlatformaticConsumer, log: Logger) {
  const partitions = new Map<
    string,
    { topic: string; partition: number; pending: Ticket['entry'][]; max: bigint }
  >();
  const due = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    await flushing;
    if (due.size === 0) return;
    const offsets = [...due.values()];
    due.clear();
    flushing = consumer.commit({ offsets }).catch((err: unknown) => {
      // A rebalance took the partitions: their new owner resumes from the last commit (steps are idempotent).
      log.warn({ err, offsets: offsets.length }, 'offsets not committed');
    });
    await flushing;
  };

  return {
    track(raw: Message<Buffer, Buffer, Buffer, Buffer>): Ticket {
      const key = `${raw.topic}\u0000${raw.partition}`;
      let p = partitions.get(key);
      if (p === undefined || raw.offset <= p.max) {
        p = { topic: raw.topic, partition: raw.partition, pending: [], max: -1n };
        partitions.set(key, p);
      }
      p.max = raw.offset;
      const entry = { offset: raw.offset, leaderEpoch: raw.leaderEpoch, done: false };
      p.pending.push(entry);
      return { key, entry };
    },
    done(ticket: Ticket): void {
      ticket.entry.done = true;
      const p = partitions.get(ticket.key);
      if (p === undefined || !p.pending.includes(ticket.entry)) return;
      let last: Ticket['entry'] | undefined;
      while (p.pending[0]?.done === true) last = p.pending.shift();
      if (last === undefined) return;
      due.set(ticket.key, {
        topic: p.topic,
        partition: p.partition,
        offset: last.offset + 1n,
        leaderEpoch: last.leaderEpoch,
      });
      timer ??= setTimeout(() => void flush(), 100);
    },
    flush,
  };
}

/** A short, non-sensitive name of a failure for span events (its code, or its class). */
function errorName(err: unknown): string {
  if (isModError(err)) return err.code;
  return err instanceof Error ? err.name : typeof err;
}

/** Seconds since a record's timestamp (ms since the epoch); 0 for a clock ahead of ours or no timestamp. */
export function messageAgeSeconds(timestampMs: number, nowMs = Date.now()): number {
  return Number.isFinite(timestampMs) && timestampMs > 0 ? Math.max(0, (nowMs - timestampMs) / 1000) : 0;
}

function process_hrtime(): bigint {
  return globalThis.process.hrtime.bigint();
}
