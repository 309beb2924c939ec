import { createHash } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Codecs, type DeadLetter, isModError } from '@mod/contracts';
import type { Logger, StepMetrics } from '@mod/telemetry';

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

/** A thrown error becomes an outcome here, decided once: retriable errors retry, bad input dead-letters. */
export function outcomeOfError(err: unknown): StepOutcome {
  if (isModError(err) && !err.retriable) return { kind: 'dlq', code: err.code, message: err.message };
  return { kind: 'retry', error: err };
}

export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  const log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const baseDelay = options.retryDelayMs ?? 200;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  let stopping = false;
  let ready = false;
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

  /** Runs the step until it yields a final outcome; returns false if stopped before that. */
  async function process(
    m: ConsumedMessage,
    heartbeat: () => Promise<void>,
    isStopping: () => boolean,
  ): Promise<boolean> {
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
      if (outcome.kind !== 'retry') return true;
      log.warn(
        { partition: m.partition, offset: m.offset, err: outcome.error, delayMs: delay },
        'step failed; retrying',
      );
      if (isStopping()) return false;
      await sleep(delay);
      delay = Math.min(maxDelay, delay * 2);
      await heartbeat().catch(() => undefined);
      if (isStopping()) return false;
    }
  }

  /** One subscription: a consumer, its topics, and whether it is being stopped (global stop or re-subscribe). */
  interface Session {
    consumer: Consumer;
    topics: readonly string[];
    stopping: boolean;
  }
  let session: Session | undefined;
  let discoverTimer: NodeJS.Timeout | undefined;
  let discovering: Promise<void> = Promise.resolve();

  async function subscribe(topics: readonly string[]): Promise<Session> {
    const consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // Bounds how long stop() waits for an idle fetch to return.
      maxWaitTimeInMs: 1_000,
      maxBytesPerPartition: 16 * 1024 * 1024,
      retry: { retries: 10 },
    });
    const s: Session = { consumer, topics, stopping: false };
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!s.stopping) ready = true;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      ready = false;
      log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning ?? true });
    const isStopping = () => stopping || s.stopping;
    await consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const heartbeat = () => payload.heartbeat();
        const messages = batch.messages;
        const done = new Array<boolean>(messages.length).fill(false);
        let committed = 0; // messages[0..committed) are resolved
        let next = 0;
        const advance = () => {
          while (committed < messages.length && done[committed]) {
            payload.resolveOffset((messages[committed] as KafkaMessage).offset);
            committed++;
          }
        };
        const worker = async () => {
          while (next < messages.length && payload.isRunning() && !payload.isStale() && !isStopping()) {
            const index = next++;
            const raw = messages[index] as KafkaMessage;
            options.metrics.messageAge.observe({ step: options.stepName }, messageAgeSeconds(raw.timestamp));
            const m: ConsumedMessage = {
              topic: batch.topic,
              partition: batch.partition,
              offset: raw.offset,
              key: raw.key?.toString('utf8') ?? null,
              value: raw.value,
              headers: headersOf(raw),
            };
            if (!(await process(m, heartbeat, isStopping))) return;
            done[index] = true;
            advance();
          }
        };
        await Promise.all(Array.from({ length: Math.min(maxInFlight, messages.length) }, worker));
        await heartbeat().catch(() => undefined);
      },
    });
    return s;
  }

  async function wantedTopics(): Promise<string[]> {
    const found = options.discover ? await options.discover.list() : [];
    return [...new Set([...options.topics, ...found])].sort();
  }

  /** Re-subscribes when the discovered topics changed; a failed listing keeps the current subscription. */
  async function rediscover(): Promise<void> {
    if (stopping || session === undefined) return;
    let topics: string[];
    try {
      topics = await wantedTopics();
    } catch (err) {
      log.warn({ err }, 'could not list topics; keeping the current subscription');
      return;
    }
    const current = session;
    if (stopping || topics.join('\n') === current.topics.join('\n')) return;
    log.info({ topics }, 'topics changed; subscribing again');
    current.stopping = true;
    ready = false;
    await current.consumer.disconnect();
    if (stopping) return;
    session = await subscribe(topics);
  }

  return {
    isReady: () => ready && !stopping,
    async start() {
      stopping = false;
      session = await subscribe(await wantedTopics());
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
      log.info({ topics: session.topics }, 'consuming');
    },
    async stop() {
      stopping = true;
      ready = false;
      clearTimeout(discoverTimer);
      await discovering;
      if (session) {
        session.stopping = true;
        await session.consumer.disconnect();
      }
    },
    topics: () => session?.topics ?? [],
  };
}

/** Header values as buffers; a repeated header keeps its first value. */
function headersOf(raw: KafkaMessage): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(raw.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first : Buffer.from(first, 'utf8');
  }
  return out;
}

/** Seconds since a record's timestamp (milliseconds, as a string); 0 for a clock ahead of ours or no timestamp. */
export function messageAgeSeconds(timestampMs: string, nowMs = Date.now()): number {
  const at = Number.parseInt(timestampMs, 10);
  return Number.isFinite(at) ? Math.max(0, (nowMs - at) / 1000) : 0;
}

function process_hrtime(): bigint {
  return globalThis.process.hrtime.bigint();
}
