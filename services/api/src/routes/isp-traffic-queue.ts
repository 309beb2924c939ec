import { createHash } from 'node:crypto';
import { withTransaction } from '@mod/db';
import {
  keepTrafficUploadQueued,
  pruneTrafficUploads,
  renewTrafficUploadKey,
  takeTrafficUploadKey,
} from '@mod/db/feeds';
import { ProduceError } from '@mod/kafka';
import { ApiError, ApiErrorCodes, unavailable } from '../errors.js';
import type { RouteDeps } from './common.js';
import type { TrafficLineQuota } from './isp-traffic-quota.js';

/** Events per Kafka send. */
const BATCH_SIZE = 500;

/** How long an upload's Idempotency-Key is kept (what its lines queued): a day, like a report's. */
export const TRAFFIC_IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/**
 * How long an attempt holds its upload's key while its lines go to the broker, renewed after every send (far longer
 * than one takes): what a retry waits for when an instance died holding it.
 */
const HOLD_MS = 5 * 60_000;

/** How often an instance deletes the upload keys whose window ended. */
const PRUNE_EVERY_MS = 60_000;

export type Outgoing = { key: string; value: Buffer };
type Language = 'vi' | 'en';

/** What an upload's valid lines came to: one flag per line (queued), the broker's failure if not all were. */
export interface Queued {
  queued: boolean[];
  failure?: unknown;
  /** Lines sent (and charged) by this request: fewer than all when an earlier one with its key queued some. */
  sent: number;
}

/**
 * Sends the events a batch at a time, in order, stopping after the first batch the broker does not take whole:
 * one flag per event, set for those the broker acknowledged (the producer's `ProduceError` says which of a
 * refused batch it took; it sends again what it did not, in halves when the records are refused, never twice
 * what it took), and the failure if there was one. Before each send but the first, `progress` is told what is
 * queued so far; should it throw, nothing more is sent and that is the failure.
 */
async function queueEvents(
  producer: RouteDeps['producer'],
  topic: string,
  events: readonly Outgoing[],
  progress: (queued: readonly boolean[]) => Promise<void>,
): Promise<{ queued: boolean[]; failure?: unknown }> {
  const queued = events.map(() => false);
  for (let from = 0; from < events.length; from += BATCH_SIZE) {
    const batch = events.slice(from, from + BATCH_SIZE);
    try {
      if (from > 0) await progress(queued);
      await producer.send({ topic, messages: batch });
      batch.forEach((_, i) => (queued[from + i] = true));
    } catch (failure) {
      if (failure instanceof ProduceError)
        failure.acknowledged.forEach((taken, i) => (queued[from + i] = taken));
      return { queued, failure };
    }
  }
  return { queued };
}

/** Charges the lines, queues them, and gives back those the broker did not take (our failure, not the ISP's). */
async function chargeAndQueue(
  o: { deps: RouteDeps & { trafficLines: TrafficLineQuota }; topic: string; tenantId: string },
  events: readonly Outgoing[],
  log: { error: (o: object, m: string) => void },
): Promise<{ queued: boolean[]; failure?: unknown }> {
  await o.deps.trafficLines.charge(o.tenantId, events.length);
  const sent = await queueEvents(o.deps.producer, o.topic, events, () => Promise.resolve());
  if (sent.failure !== undefined) {
    const unqueued = sent.queued.filter((q) => !q).length;
    log.error({ err: sent.failure, queued: events.length - unqueued }, 'could not publish traffic samples');
    await o.deps.trafficLines.refund(o.tenantId, unqueued).catch((err: unknown) => {
      log.error({ err, lines: unqueued }, 'could not give back the lines of a refused upload');
    });
  }
  return sent;
}

/**
 * Queues an upload's valid lines, charged to its tenant's quota. Without an Idempotency-Key every line is charged
 * and sent. With one, the key is taken (or found) in PostgreSQL for the upload's body and held while the lines go
 * (a lease, no connection held): only the lines no earlier attempt queued are charged and sent, and which are queued
 * now is kept with the key. Another body under the key is refused (409); a retry while an attempt holds the key,
 * 503 with `retry-after`. The key is held only with the lines not queued charged (one transaction), and let go only
 * with those still not queued given back (one transaction): should keeping fail after the broker took lines, the key
 * stays held until its hold lapses, and the retry that takes it then sends them again under the same event ids
 * (processed once downstream) without charging them again.
 */
export function createTrafficQueue(deps: RouteDeps & { trafficLines: TrafficLineQuota }, topic: string) {
  let prunedAtMs = -Infinity;
  return async (
    u: { tenantId: string; idempotencyKey: string | null; body: string; events: readonly Outgoing[] },
    language: Language,
    log: { error: (o: object, m: string) => void },
  ): Promise<Queued> => {
    const o = { deps, topic, tenantId: u.tenantId };
    if (u.idempotencyKey === null) {
      const sent = await chargeAndQueue(o, u.events, log);
      return { ...sent, sent: u.events.length };
    }
    const key = { tenantId: u.tenantId, idempotencyKey: u.idempotencyKey };
    const now = deps.now();
    if (now.getTime() - prunedAtMs >= PRUNE_EVERY_MS) {
      prunedAtMs = now.getTime();
      // Housekeeping, not this upload's: a failure (the next pass, a minute on, tries again) must not fail it.
      await pruneTrafficUploads(deps.db, now).catch((err: unknown) => {
        log.error({ err }, 'could not delete the traffic upload keys whose window ended');
      });
    }
    let heldUntil = new Date(now.getTime() + HOLD_MS);
    // The key is held only with its lines not queued charged, in one transaction: should what they came to not be
    // kept (the final save failing), the retry finds the key held and charges them no more.
    const taken = await withTransaction(deps.db, async (c) => {
      const t = await takeTrafficUploadKey(c, {
        ...key,
        bodySha256: createHash('sha256').update(u.body, 'utf8').digest(),
        lines: u.events.length,
        expiresAt: new Date(now.getTime() + TRAFFIC_IDEMPOTENCY_WINDOW_MS),
        busyUntil: heldUntil,
        now,
      });
      if (t.kind === 'upload' && !t.charged)
        await deps.trafficLines.charge(u.tenantId, t.queued.filter((q) => !q).length, c);
      return t;
    });
    if (taken.kind === 'conflict') throw idempotencyConflict(language);
    if (taken.kind === 'busy') throw unavailable(TEXTS.busy[language], 5);
    const queued = [...taken.queued];
    const pending = queued.flatMap((q, i) => (q ? [] : [i]));
    /**
     * Between sends: keeps what is queued so far and holds the key on, so that a retry does not take it from an
     * attempt still sending (and send and charge its lines again); a send is not made once another attempt took it.
     */
    const progress = async (sentSoFar: readonly boolean[]) => {
      const sofar = [...queued];
      pending.forEach((line, j) => (sofar[line] = sentSoFar[j] === true));
      const until = new Date(deps.now().getTime() + HOLD_MS);
      if (!(await renewTrafficUploadKey(deps.db, { ...key, queued: sofar, heldUntil, until })))
        throw unavailable(TEXTS.busy[language], 5);
      heldUntil = until;
    };
    try {
      const sent = await queueEvents(
        deps.producer,
        topic,
        pending.map((i) => u.events[i]!),
        progress,
      );
      if (sent.failure !== undefined)
        log.error(
          { err: sent.failure, queued: sent.queued.filter((q) => q).length },
          'could not publish traffic samples',
        );
      pending.forEach((line, j) => (queued[line] = sent.queued[j] === true));
      return {
        queued,
        sent: pending.length,
        ...(sent.failure === undefined ? {} : { failure: sent.failure }),
      };
    } finally {
      // The key is let go and the lines still not queued given back in one transaction: failing, the key stays held
      // (until its hold lapses) with them charged, and the retry that takes it then does not charge them again.
      const unqueued = queued.filter((q) => !q).length;
      await withTransaction(deps.db, async (c) => {
        if (await keepTrafficUploadQueued(c, { ...key, queued, heldUntil }))
          await deps.trafficLines.refund(u.tenantId, unqueued, c);
      }).catch((err: unknown) => {
        log.error(
          { err, lines: unqueued },
          'could not keep what a traffic upload with an Idempotency-Key queued',
        );
      });
    }
  };
}

const TEXTS = {
  busy: {
    vi: 'một lần gửi khác với Idempotency-Key này đang được đưa vào hàng đợi; hãy gửi lại khi lần đó đã có trả lời',
    en: 'another attempt with this Idempotency-Key is being queued; send again once it has been answered',
  },
  conflict: {
    vi: 'Idempotency-Key này đã được dùng cho một lần tải lên khác; hãy dùng khóa mới cho mẫu lưu lượng mới',
    en: 'this Idempotency-Key was used for another upload; use a new key for new traffic samples',
  },
  queued: {
    vi: (queued: number, valid: number) =>
      `không thể đưa hết mẫu lưu lượng vào hàng đợi: ${queued} trên ${valid} dòng đã vào và vẫn bị tính vào hạn mức; `,
    en: (queued: number, valid: number) =>
      `traffic samples could not all be queued: ${queued} of ${valid} were, and stay charged; `,
  },
  sameKey: {
    vi: (left: number) =>
      `hãy gửi lại đúng lần tải lên này với cùng Idempotency-Key: chỉ ${left} dòng chưa vào hàng đợi được đưa vào và tính vào hạn mức`,
    en: (left: number) =>
      `send the same upload again with the same Idempotency-Key: only the ${left} lines not queued are queued and charged then`,
  },
  whole: { vi: 'hãy gửi lại lần tải lên này', en: 'send the upload again' },
  after: {
    vi: (line: number) => `mọi dòng đến dòng ${line} đã vào hàng đợi: chỉ gửi lại các dòng sau dòng đó`,
    en: (line: number) => `every line up to line ${line} was queued: send again only the lines after it`,
  },
  beyond: {
    vi: (n: number) =>
      ` (${n} dòng sau dòng đầu tiên chưa vào hàng đợi cũng đã vào và bị tính; gửi lại không kèm Idempotency-Key thì chúng được đưa vào và tính lần nữa)`,
    en: (n: number) =>
      ` (${n} lines after the first not queued were queued too and are charged: sent again without an Idempotency-Key, they are queued and charged again)`,
  },
} as const;

/** 409: the key names another upload of this tenant. */
export const idempotencyConflict = (language: Language): ApiError =>
  new ApiError(
    ApiErrorCodes.MOD_ERR_API_IDEMPOTENCY_CONFLICT,
    'MOD_ERR_API_IDEMPOTENCY_CONFLICT',
    TEXTS.conflict[language],
  );

/**
 * What the 503 of an upload queued in part says, in the ISP's language: how many valid lines were queued (they
 * stay charged), and how to send again the rest: the upload whole with its Idempotency-Key, or without one the
 * lines after the last of those queued in an unbroken run from the first (`lineNos`: each valid line's number).
 */
export function unqueuedMessage(
  queued: readonly boolean[],
  lineNos: readonly number[],
  withKey: boolean,
  language: Language,
): string {
  const count = queued.filter(Boolean).length;
  const head = TEXTS.queued[language](count, queued.length);
  if (withKey) return head + TEXTS.sameKey[language](queued.length - count);
  const found = queued.indexOf(false);
  const run = found === -1 ? queued.length : found;
  const last = run > 0 ? lineNos[run - 1] : undefined;
  const where = last === undefined ? TEXTS.whole[language] : TEXTS.after[language](last);
  return head + where + (count > run ? TEXTS.beyond[language](count - run) : '');
}
