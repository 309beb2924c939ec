import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Codecs, type DeadLetter, isModError } from '@mod/contracts';
import { cutText } from '@mod/contracts/text-rules';
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
import {
  createDeadLetterFolder,
  DEAD_LETTERS_FOLDED,
  DEAD_LETTERS_PER_SOURCE,
  DEAD_LETTERS_WINDOW_MS,
  type Admission,
  type DeadLetterBound,
  type DeadLetterTenancy,
  type Fold,
} from './dead-letter-fold.js';
import type { Hold } from './held-bytes.js';
import type { Producer } from './producer.js';
import { outcomeOfError, type ConsumedMessage, type Step, type StepOutcome } from './step.js';

/** A dead letter keeps this much of its message's key (the source's topic, partition and offset find it). */
export const MAX_DEAD_LETTER_KEY_CHARS = 1024;

/**
 * The code of a record batch the client did not read (`ConsumedMessage.refused`): a producer allowed to write the
 * topic (a partner) can send a few kilobytes that would inflate to gigabytes, or a record of millions of headers
 * that would take gigabytes of heap, in every consumer.
 */
export const BATCH_REFUSED = 'MOD_ERR_KAFKA_BATCH_REFUSED';

/** The code of a message whose value was let go while its step awaited, and which its topic no longer keeps. */
export const RECORD_GONE = 'MOD_ERR_KAFKA_RECORD_GONE';

/** What processing one message needs of the runner's options (`ConsumerRunnerOptions`). */
/** `tenantOf`, `recordTenantOf`: whose dead-letter bound a record counts in (`DeadLetterTenancy`; default none). */
export interface MessageProcessingOptions extends DeadLetterTenancy {
  groupId: string;
  /** The runner's own topics: their trace context is adopted; any other topic's is only linked. */
  topics: readonly string[];
  stepName: string;
  step: Step;
  producer: Producer;
  deadLetterTopic: string;
  metrics: StepMetrics;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  tracer?: Tracer;
  /**
   * Reads a record's value again from its topic (null when the topic no longer keeps it): with it, a message whose
   * step answers `await` is held without its value until the step answers `reread`. Without it, `await` is a retry.
   */
  reread?: (m: ConsumedMessage) => Promise<Buffer | null>;
  /** Dead letters written one by one per source tenant (`DeadLetterBound`). Default 100 a minute. */
  deadLetters?: DeadLetterBound;
}

/** What a step's answer comes to once a `reread` is done. */
type Final = Exclude<StepOutcome, { kind: 'reread' }>;

/**
 * Whether a message's offset may be committed: true, false (stopped before its final outcome), or once `durable`
 * resolves true (its dead letter was folded into a summary not yet written).
 */
export type Processed = boolean | { durable: Promise<boolean> };

/** Processes one message until its final outcome (`Processed`); `hold` is its share of held bytes. */
export type MessageProcessor = (
  m: ConsumedMessage,
  isStopping: () => boolean,
  hold?: Hold,
) => Promise<Processed>;

export interface MessageProcessing {
  process: MessageProcessor;
  /** Writes the summary dead letters gathered so far (`DeadLetterFolder.settle`): at the end of a session. */
  settle: () => Promise<void>;
  /** Gives up the summaries of a partition a rebalance took (`DeadLetterFolder.abandon`). */
  abandon: (topic: string, partition: number) => void;
}

/** The metric label of a source that is no tenant's own topic (tenant ids never hold `_`). */
export const NO_TENANT = '_internal';

/** A dead letter's reason code: the step's, if it is one. */
const letterCode = (code: string): string =>
  /^MOD_ERR_[A-Z0-9_]+$/.test(code) ? code : 'MOD_ERR_UNCLASSIFIED';

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * Processes one message: in its consumer span, runs the step until it yields a final outcome (retrying outages
 * with a doubling delay, dead-lettering bad input, past its tenant's bound folded into a summary), and records its
 * outcome and duration. `process` resolves to false if stopped before a final outcome (the offset must not be
 * committed).
 */
export function createMessageProcessor(options: MessageProcessingOptions, log: Logger): MessageProcessing {
  const baseDelay = options.retryDelayMs ?? 200;
  const maxDelay = options.maxRetryDelayMs ?? 10_000;
  const tracer = options.tracer ?? noTracer;
  const bound = options.deadLetters ?? {
    perSource: DEAD_LETTERS_PER_SOURCE,
    windowMs: DEAD_LETTERS_WINDOW_MS,
  };
  const folder = createDeadLetterFolder({
    bound,
    ...(options.tenantOf === undefined ? {} : { tenantOf: options.tenantOf }),
    ...(options.recordTenantOf === undefined ? {} : { recordTenantOf: options.recordTenantOf }),
    write: writeSummary,
    retryDelayMs: baseDelay,
    maxRetryDelayMs: maxDelay,
    log,
  });

  async function send(key: string | null, record: DeadLetter): Promise<void> {
    await options.producer.send({
      topic: options.deadLetterTopic,
      messages: [{ key, value: Codecs.deadLetter.encode(record) }],
    });
  }

  async function deadLetter(m: ConsumedMessage, code: string, message: string): Promise<void> {
    // A key is the sender's to choose, up to the source topic's record size: in full, twice over (the record's
    // key and its sourceKey), it would not fit the dead-letter topic, and the message would be retried forever.
    const key = m.key === null ? null : cutText(m.key, MAX_DEAD_LETTER_KEY_CHARS);
    const reason = cutText(message, 2000);
    await send(key, {
      eventId: crypto.randomUUID(),
      sourceTopic: m.topic,
      sourcePartition: m.partition,
      sourceOffset: m.offset,
      sourceKey: key,
      valueSha256: createHash('sha256')
        .update(m.value ?? Buffer.alloc(0))
        .digest('hex'),
      valueBytes: m.value?.length ?? 0,
      consumer: options.groupId,
      reason: { code: letterCode(code), message: reason },
      failedAt: new Date().toISOString(),
    });
    log.warn({ partition: m.partition, offset: m.offset, code, reason }, 'dead-lettered');
  }

  /**
   * One letter for the records of a source partition its tenant's bound folded (`DeadLetterFolder`), counted per
   * tenant once written.
   */
  async function writeSummary({ topic, partition, folded, window, windowTenant }: Fold): Promise<void> {
    const codes = folded.codes.map((c) => `${c.code} x${c.count}`).join(', ');
    const whose = folded.tenant === null ? 'a topic of our own' : `tenant ${folded.tenant}'s own topic`;
    const source = windowTenant === null ? 'our own topics' : `tenant ${windowTenant}`;
    const message =
      `${folded.count} dead letters of ${topic}/${partition} (${whose}) folded into this one, past the ` +
      `${bound.perSource} of ${source} within ${bound.windowMs} ms across the partitions this consumer owns ` +
      `(this window so far: ${window.letters} letters of their own and ${window.folded} folded): offsets ` +
      `${folded.firstOffset}..${folded.lastOffset} (${codes}); read those offsets again to see each`;
    await send(null, {
      eventId: crypto.randomUUID(),
      sourceTopic: topic,
      sourcePartition: partition,
      sourceOffset: folded.firstOffset,
      sourceKey: null,
      valueSha256: EMPTY_SHA256,
      valueBytes: 0,
      consumer: options.groupId,
      reason: { code: DEAD_LETTERS_FOLDED, message: cutText(message, 2000) },
      failedAt: new Date().toISOString(),
      folded,
    });
    const tenant = windowTenant ?? NO_TENANT;
    options.metrics.deadLettersFolded.inc({ step: options.stepName, tenant }, folded.count);
    log.warn({ topic, partition, ...folded, codes, window }, 'dead letters folded into one');
  }

  /** Processes a message in its consumer span (the step runs inside it: its logs and messages join the trace). */
  function traced(m: ConsumedMessage, isStopping: () => boolean, hold?: Hold): Promise<Processed> {
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
    // The message is held here only, so that its value can be let go while its step awaits (nothing below keeps
    // `m`: a closure naming it would keep the value for as long as the message is processed).
    const current = { message: m };
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
          return await process(current, isStopping, span, hold);
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * The message with its value read again from the topic, its share of held bytes taken first (given back if the
   * read fails: the error is the runner's to retry), or the outcome when it cannot be read again.
   */
  async function readAgain(m: ConsumedMessage, hold?: Hold): Promise<ConsumedMessage | Final> {
    if (m.valueReleased !== true || options.reread === undefined)
      return {
        kind: 'retry',
        error: new Error('the step asked to read again a message it has the value of'),
      };
    await hold?.acquire();
    let value: Buffer | null;
    try {
      value = await options.reread(m);
    } catch (err) {
      hold?.release();
      throw err;
    }
    if (value === null) {
      hold?.release();
      const where = `${m.topic}/${m.partition}@${m.offset}`;
      return { kind: 'dlq', code: RECORD_GONE, message: `${where} is no longer kept by its topic` };
    }
    const { valueReleased: _released, ...rest } = m;
    return { ...rest, value };
  }

  /** Runs the step until it yields a final outcome; returns false if stopped before that. */
  async function process(
    current: { message: ConsumedMessage },
    isStopping: () => boolean,
    span: Span,
    hold?: Hold,
  ): Promise<Processed> {
    let delay = baseDelay;
    // Counted against its tenant's bound once, however often writing its own letter is retried.
    let admitted: Admission | undefined;
    for (;;) {
      const started = process_hrtime();
      let m = current.message;
      let outcome: Final;
      try {
        const answer: StepOutcome =
          m.refused === undefined
            ? await options.step(m)
            : { kind: 'dlq', code: BATCH_REFUSED, message: m.refused };
        if (answer.kind === 'reread') {
          const again = await readAgain(m, hold);
          if (!('kind' in again)) {
            current.message = again;
            continue;
          }
          outcome = again;
        } else outcome = answer;
      } catch (err) {
        outcome = outcomeOfError(err);
      }
      if (outcome.kind === 'await' && options.reread !== undefined && m.value !== null) {
        // Nothing needs the value until the step answers `reread`: let it go (no binding here keeps it), and its
        // share of held bytes.
        current.message = m = { ...m, value: null, valueReleased: true };
        hold?.release();
      }
      if (outcome.kind === 'dlq') {
        admitted ??= folder.admit(m, letterCode(outcome.code));
        try {
          if (admitted.kind === 'single') await deadLetter(m, outcome.code, outcome.message);
        } catch (err) {
          outcome = { kind: 'retry', error: err };
        }
      }
      const seconds = Number(process_hrtime() - started) / 1e9;
      // Awaiting is counted as a retry (the same backoff).
      const kind = outcome.kind === 'await' ? 'retry' : outcome.kind;
      options.metrics.duration.observe({ step: options.stepName, outcome: kind }, seconds);
      options.metrics.outcomes.inc({ step: options.stepName, outcome: kind });
      span.setAttribute('mod.outcome', kind);
      if (outcome.kind === 'dlq')
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${outcome.code}: dead-lettered` });
      if (outcome.kind === 'drop') span.setAttribute('mod.drop_reason', outcome.reason);
      if (outcome.kind !== 'retry' && outcome.kind !== 'await')
        return outcome.kind === 'dlq' && admitted?.kind === 'folded' ? { durable: admitted.durable } : true;
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

  return {
    process: traced,
    settle: () => folder.settle(),
    abandon: (topic, partition) => folder.abandon(topic, partition),
  };
}

/** A short, non-sensitive name of a failure for span events (its code, or its class). */
function errorName(err: unknown): string {
  if (isModError(err)) return err.code;
  return err instanceof Error ? err.name : typeof err;
}

function process_hrtime(): bigint {
  return globalThis.process.hrtime.bigint();
}
