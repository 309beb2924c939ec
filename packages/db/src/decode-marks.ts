import { randomUUID } from 'node:crypto';
import type { ModError } from '@mod/contracts';
import { toDatabaseError } from './errors.js';
import type { Queryable } from './pool.js';

/** Which decode a mark is of: the scanner's hash pool, or the classifier's model pool. */
export type DecodeStage = 'hash' | 'classify';

/**
 * How long a process's lease lasts without being renewed (it is renewed every third of it): a mark of a process of
 * another owner counts as a crash only once that process's lease has lapsed, so a live instance's decodes (a slow
 * one, or the same content on another partition) never count.
 */
export const DECODE_LEASE_MS = 30_000;
/** Marks (and processes) older than this are ignored and deleted: a day. */
export const DECODE_MARK_TTL_MS = 24 * 60 * 60 * 1000;
/** How many times `stop` tries its last batch at most (the database away then), waiting 100 ms, 200 ms, … between. */
export const DECODE_STOP_ATTEMPTS = 5;
/** How long `stop` may go on trying its last batch by default (the service passes a part of its shutdown budget). */
export const DECODE_STOP_RETRY_MS = 2_000;
const STOP_FIRST_WAIT_MS = 100;

export interface DecodeMarksOptions {
  db: Queryable;
  stage: DecodeStage;
  /**
   * The instance's stable name, unique among live instances (its static Kafka membership id): a mark left by an
   * earlier process of the same owner is a crash at once, without waiting for its lease. Absent (dynamic
   * membership): only a lapsed lease says a process is gone.
   */
  owner: string | undefined;
  leaseMs?: number;
  ttlMs?: number;
  /** Told when a batch of ends could not be written (they go with the next batch). */
  onError?: (err: Error) => void;
  /**
   * How long `stop` may go on trying its last batch when the database is away (at most `DECODE_STOP_ATTEMPTS`
   * tries, the waits between them doubling from 100 ms; no try starts past it): a part of the service's shutdown
   * budget (`SHUTDOWN_TIMEOUT_MS`). Default `DECODE_STOP_RETRY_MS`.
   */
  stopRetryMs?: number;
  /**
   * Told when `stop` could not write its last batch in any try: `marksLeft` marks of this process's ended decodes
   * stayed, each counted as a crash of its content by the next process of the owner.
   */
  onMarksLeft?: (err: Error, marksLeft: number) => void;
  /**
   * Whether a batch's commit waits for its WAL to reach the disk (`synchronous_commit` as the session has it). By
   * default it does not (`off` for that transaction only): a mark matters only when the Node process ends, and an
   * asynchronous commit is visible to every session at once and lost only if PostgreSQL itself crashes. True is the
   * baseline of `bench:decode-marks`.
   */
  durableCommit?: boolean;
}

/**
 * Durable marks of decodes under way, by content (SHA-256) and process (`decode_marks`, migration 0053): media whose
 * decode aborts the whole process leaves its mark behind, and every later process counts it as a crash of that
 * content. Marks are written in batches: every `begin` and `end` asked for while a batch is being written, or in the
 * same turn of the event loop, goes in the next one, a single statement (`decode-marks:flush`).
 */
export interface DecodeMarks {
  /** This process's id (`decode_marks.process_id`). */
  readonly processId: string;
  /**
   * Takes the lease and deletes expired marks; answers how many marks this owner's earlier processes left (decodes
   * under way when they ended: each a crash of its content, counted as its content arrives).
   */
  start(): Promise<{ leftBehind: number }>;
  /**
   * Asked before `sha256`'s bytes go to a worker: answers how many processes have ended while decoding it (its
   * crashes that no process lived to count). When none, it is marked as decoded by this process (`end` when the
   * decode ends); else nothing is marked: the caller decodes it alone and marks it first (`beginAlone`), so that no
   * mark of it stands while it waits for its turn. Rejects with a retriable database error (nothing marked).
   */
  begin(sha256: string): Promise<number>;
  /** Marks `sha256` as decoded by this process, whatever ended before (`end` when the decode ends). */
  beginAlone(sha256: string): Promise<void>;
  /** The decode of `sha256` ended: its mark goes; `decoded`: the marks gone processes left of it go too. */
  end(sha256: string, decoded: boolean): void;
  /** Resolves once every `begin` and `end` asked for so far was written (or its batch failed). */
  settled(): Promise<void>;
  /**
   * Writes what is queued (tried again while the database is away, within `stopRetryMs`), stops renewing the lease
   * and gives it up (nothing is under way then).
   */
  stop(): Promise<void>;
}

type Waiter = { resolve: (crashes: number) => void; reject: (err: Error) => void; alone: boolean };

export function createDecodeMarks(o: DecodeMarksOptions): DecodeMarks {
  const processId = randomUUID();
  const owner = o.owner ?? processId;
  const leaseMs = o.leaseMs ?? DECODE_LEASE_MS;
  const ttlMs = o.ttlMs ?? DECODE_MARK_TTL_MS;
  // Null: the session's own setting.
  const commitMode = o.durableCommit === true ? null : 'off';
  /** Decodes of each content under way in this process: its mark goes when the last ends. */
  const refs = new Map<string, number>();
  let begins = new Map<string, Waiter[]>();
  let ends = new Set<string>();
  let forgets = new Set<string>();
  let scheduled = false;
  let flushing: Promise<void> | undefined;
  let renew: NodeJS.Timeout | undefined;
  /** What the last failed batch failed with. */
  let lastError: ModError | undefined;

  // A process is gone when a later one of its owner started, or its lease lapsed (or was given up).
  const gone = `(m.owner = $3 or not exists (select 1 from decode_processes p
      where p.process_id = m.process_id and p.seen_at >= now() - $5::int * interval '1 millisecond'))`;
  const flushSql = `/* decode-marks:flush */
    with cleared as (
      delete from decode_marks m
       where m.stage = $1
         and ((m.process_id = $2 and m.sha256 = any($6::text[]))
           or (m.process_id <> $2 and m.sha256 = any($7::text[]) and ${gone}))
    ), counted as (
      select b.sha256, b.alone, count(m.sha256)::int as crashes
        from unnest($8::text[], $9::boolean[]) b (sha256, alone)
        left join decode_marks m
          on m.stage = $1 and m.sha256 = b.sha256 and not b.sha256 = any($7::text[])
         and m.process_id <> $2 and m.started_at > now() - $4::int * interval '1 millisecond'
         and ${gone}
       group by b.sha256, b.alone
    ), marked as (
      insert into decode_marks (stage, sha256, process_id, owner)
      select $1, sha256, $2, $3 from counted where alone or crashes = 0
      on conflict do nothing
    )
    -- The commit mode, for this transaction only (\`durableCommit\`): the row that sets it is always read.
    select c.sha256, c.crashes
      from (select set_config('synchronous_commit', coalesce($10::text, current_setting('synchronous_commit')),
                              true)) commit_mode
      left join counted c on c.crashes > 0`;

  function schedule(): void {
    if (scheduled || flushing !== undefined) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flushing = flush().then((written) => {
        flushing = undefined;
        // After a failed batch, ends wait for the next begin (no loop against a database that is away).
        if (begins.size > 0 || (written && (ends.size > 0 || forgets.size > 0))) schedule();
      });
    });
  }

  /** Writes one batch; false when it failed (told to `onError` unless `quiet`). */
  async function flush(quiet = false): Promise<boolean> {
    const [b, e, f] = [begins, ends, forgets];
    begins = new Map();
    ends = new Set();
    forgets = new Set();
    // Begun again in this batch: the mark stays (or goes with the next batch, if this begin marks nothing).
    const kept = [...b.keys()].filter((k) => e.delete(k));
    if (b.size === 0 && e.size === 0 && f.size === 0) return true;
    try {
      const r = await o.db.query<{ sha256: string | null; crashes: number }>(flushSql, [
        o.stage,
        processId,
        owner,
        ttlMs,
        leaseMs,
        [...e],
        [...f],
        [...b.keys()],
        [...b.values()].map((waiters) => waiters.some((w) => w.alone)),
        commitMode,
      ]);
      // One row with no content when nothing crashed (the row that set the commit mode).
      const crashes = new Map<string, number>();
      for (const row of r.rows) if (row.sha256 !== null) crashes.set(row.sha256, row.crashes);
      for (const [k, waiters] of b)
        for (const w of waiters) {
          const n = crashes.get(k) ?? 0;
          // Not marked: no decode of it is under way yet (a `beginAlone` of the same batch marked it).
          if (n > 0 && !w.alone) release(k);
          w.resolve(n);
        }
      for (const k of kept) if (!refs.has(k)) ends.add(k);
      return true;
    } catch (err) {
      const error = toDatabaseError(err, 'write decode marks');
      for (const [k, waiters] of b)
        for (const w of waiters) {
          release(k);
          w.reject(error);
        }
      // Ends go with the next batch; those of content begun again meanwhile are dropped there. The batch may have
      // been committed though its answer was lost (the connection ended after the commit): the marks its begins
      // may have made go too, none being under way, or they would count as crashes once this process ended.
      for (const k of [...e, ...kept, ...b.keys()]) if (!refs.has(k)) ends.add(k);
      for (const k of f) forgets.add(k);
      lastError = error;
      if (!quiet) o.onError?.(error);
      return false;
    }
  }

  /** Queues a begin of `sha256` (counted as under way until it resolves unmarked, fails or ends). */
  function enter(sha256: string, alone: boolean): Promise<number> {
    refs.set(sha256, (refs.get(sha256) ?? 0) + 1);
    return new Promise<number>((resolve, reject) => {
      const waiters = begins.get(sha256) ?? [];
      waiters.push({ resolve, reject, alone });
      begins.set(sha256, waiters);
      schedule();
    });
  }

  /** One decode of `sha256` fewer under way; true when it was the last (its mark may go). */
  function release(sha256: string): boolean {
    const n = (refs.get(sha256) ?? 1) - 1;
    if (n > 0) refs.set(sha256, n);
    else refs.delete(sha256);
    return n <= 0;
  }

  /**
   * `stop`'s last batch: a batch that fails leaves its ends for the next, and there is none after this one, so it is
   * tried again a few times (the database may be back in a moment: a failover, a restart of its own). Else the
   * marks of decodes that ended stay, and the next process of the owner counts each as a crash of its content.
   */
  async function flushLast(): Promise<void> {
    const deadline = Date.now() + (o.stopRetryMs ?? DECODE_STOP_RETRY_MS);
    for (let attempt = 1, wait = STOP_FIRST_WAIT_MS; !(await flush(true)); attempt++, wait *= 2) {
      // Not retried: a refusal of the statement itself (not the database away), or no time left for a try.
      if (lastError?.retriable === false || attempt >= DECODE_STOP_ATTEMPTS || Date.now() + wait > deadline) {
        const err = lastError ?? new Error('decode marks not written');
        if (o.onMarksLeft === undefined) o.onError?.(err);
        else o.onMarksLeft(err, ends.size);
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async function settled(): Promise<void> {
    while (flushing !== undefined || scheduled) await (flushing ?? new Promise((r) => setImmediate(r)));
  }

  return {
    processId,
    async start() {
      const r = await o.db
        .query<{ left_behind: number }>(
          `/* decode-marks:start */
          with lease as (
            insert into decode_processes (process_id, owner, stage) values ($2, $3, $1)
          ), expired as (
            delete from decode_marks where started_at < now() - $4::int * interval '1 millisecond'
          ), earlier as (
            delete from decode_processes
             where process_id <> $2 and (owner = $3 or seen_at < now() - $4::int * interval '1 millisecond')
          )
          select count(*)::int as left_behind from decode_marks
           where stage = $1 and owner = $3 and started_at >= now() - $4::int * interval '1 millisecond'`,
          [o.stage, processId, owner, ttlMs],
        )
        .catch((err: unknown) => {
          throw toDatabaseError(err, 'start decode marks');
        });
      renew = setInterval(
        () => {
          void o.db
            .query(
              `/* decode-marks:renew */ update decode_processes set seen_at = now() where process_id = $1`,
              [processId],
            )
            .catch((err: unknown) => o.onError?.(toDatabaseError(err, 'renew decode lease')));
        },
        Math.max(1, Math.floor(leaseMs / 3)),
      );
      renew.unref();
      return { leftBehind: r.rows[0]?.left_behind ?? 0 };
    },
    begin: (sha256) => enter(sha256, false),
    beginAlone: async (sha256) => {
      await enter(sha256, true);
    },
    end(sha256, decoded) {
      if (release(sha256)) ends.add(sha256);
      if (decoded) forgets.add(sha256);
      schedule();
    },
    settled,
    async stop() {
      clearInterval(renew);
      await settled();
      await flushLast();
      await o.db
        .query(`/* decode-marks:stop */ delete from decode_processes where process_id = $1`, [processId])
        .catch((err: unknown) => o.onError?.(toDatabaseError(err, 'give up decode lease')));
    },
  };
}
