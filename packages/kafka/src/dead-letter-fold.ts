import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLettersFolded } from '@mod/contracts';
import type { Logger } from '@mod/telemetry';
import type { ConsumedMessage } from './step.js';

/** The code of a summary dead letter: the dead letters of one source partition past its cap, folded into one. */
export const DEAD_LETTERS_FOLDED = 'MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED';

/** Default `DeadLetterBound.perSource`: dead letters of their own per source partition and window. */
export const DEAD_LETTERS_PER_SOURCE = 100;

/** Default `DeadLetterBound.windowMs`. */
export const DEAD_LETTERS_WINDOW_MS = 60_000;

/**
 * Most records one summary stands for: past it, the summary is written and a next one begins, so that the offsets
 * of a flood move on (each waits for its summary) and the committer's pending list stays bounded.
 */
export const MAX_FOLDED_PER_LETTER = 100_000;

/**
 * Default `DeadLetterBound.maxWaiting`: folded records whose summary is not yet written, across every source
 * partition. Each costs the runner a few hundred bytes until its offset can be committed.
 */
export const MAX_FOLDED_WAITING = 100_000;

/** Distinct reason codes a summary names; records of any other code count as `MOD_ERR_UNCLASSIFIED`. */
const MAX_FOLDED_CODES = 32;

/**
 * How many dead letters one source partition (a tenant's own topic's partition, or one of ours) may have written one
 * by one: `perSource` within a window of `windowMs` that starts at its first dead letter. The rest of the window's
 * are folded into one summary (`DEAD_LETTERS_FOLDED`), written when the window ends, when it stands for
 * `MAX_FOLDED_PER_LETTER` records, or when the runner's session ends; their offsets are committed only after it.
 */
export interface DeadLetterBound {
  perSource: number;
  windowMs: number;
  /**
   * Folded records whose summary is not yet written, across every source, at most: reaching it writes every summary
   * gathered at once, and the runner starts no record while that many wait (a dead-letter topic that refuses
   * summaries stops the runner, instead of its memory growing with every record read). Default
   * `MAX_FOLDED_WAITING`.
   */
  maxWaiting?: number;
}

/** A summary being gathered or written: what `DeadLettersFolded` says, and where. */
export interface Fold {
  topic: string;
  partition: number;
  folded: DeadLettersFolded;
}

/** What becomes of one dead letter: written on its own now, or folded (its offset waits for `durable`). */
export type Admission = { kind: 'single' } | { kind: 'folded'; durable: Promise<boolean> };

export interface DeadLetterFolder {
  /** Counts `m`'s dead letter (reason `code`) against its source's bound. */
  admit(m: ConsumedMessage, code: string): Admission;
  /**
   * Writes every summary gathered so far and waits for them all: each is written, or given up after one more failed
   * attempt (its `durable` is false: those records stay uncommitted and are read again). The windows go on.
   */
  settle(): Promise<void>;
}

export interface DeadLetterFolderOptions {
  bound: DeadLetterBound;
  /** The tenant whose own topic `topic` is (a partner's), or null. */
  tenantOf: (topic: string) => string | null;
  /** Writes a summary durably (acknowledged by the broker); throws if it could not. */
  write: (fold: Fold) => Promise<void>;
  /** Backoff between attempts to write a summary, doubling up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  log: Logger;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface Gathering extends Fold {
  codes: Map<string, number>;
  resolve: (written: boolean) => void;
  durable: Promise<boolean>;
}

interface Source {
  windowEndsAt: number;
  letters: number;
  gathering?: Gathering;
  timer?: NodeJS.Timeout;
}

/** Bounds the dead letters of each source partition (`DeadLetterBound`), folding the surplus into summaries. */
export function createDeadLetterFolder(o: DeadLetterFolderOptions): DeadLetterFolder {
  const now = o.now ?? Date.now;
  const sources = new Map<string, Source>();
  const writing = new Set<Promise<void>>();
  const maxWaiting = o.bound.maxWaiting ?? MAX_FOLDED_WAITING;
  /** Records in the summaries being gathered (not yet sealed). */
  let gathered = 0;
  let settling = false;

  function gather(m: ConsumedMessage): Gathering {
    let resolve: (written: boolean) => void = () => undefined;
    const durable = new Promise<boolean>((r) => (resolve = r));
    const folded: DeadLettersFolded = {
      count: 0,
      firstOffset: m.offset,
      lastOffset: m.offset,
      tenant: o.tenantOf(m.topic),
      valueBytes: 0,
      codes: [],
    };
    return { topic: m.topic, partition: m.partition, folded, codes: new Map(), resolve, durable };
  }

  function add(g: Gathering, m: ConsumedMessage, code: string): void {
    const f = g.folded;
    f.count++;
    f.valueBytes += m.value?.length ?? 0;
    const offset = BigInt(m.offset);
    if (offset < BigInt(f.firstOffset)) f.firstOffset = m.offset;
    if (offset > BigInt(f.lastOffset)) f.lastOffset = m.offset;
    const counted = g.codes.has(code) || g.codes.size < MAX_FOLDED_CODES ? code : 'MOD_ERR_UNCLASSIFIED';
    g.codes.set(counted, (g.codes.get(counted) ?? 0) + 1);
  }

  /** Writes a summary until the broker takes it (or, while settling, gives up after a failed attempt). */
  function seal(g: Gathering): void {
    g.folded.codes = [...g.codes].map(([code, count]) => ({ code, count }));
    const task = (async () => {
      let delay = o.retryDelayMs;
      for (;;) {
        try {
          await o.write(g);
          g.resolve(true);
          return;
        } catch (err) {
          const where = { topic: g.topic, partition: g.partition, count: g.folded.count };
          if (settling) {
            o.log.error({ err, ...where }, 'summary dead letter not written; its records will be read again');
            g.resolve(false);
            return;
          }
          o.log.warn({ err, ...where, delayMs: delay }, 'summary dead letter not written; retrying');
          await sleep(delay);
          delay = Math.min(o.maxRetryDelayMs, delay * 2);
        }
      }
    })();
    writing.add(task);
    void task.finally(() => writing.delete(task));
  }

  /** Seals what the source gathered. */
  function flush(s: Source): void {
    if (s.gathering === undefined) return;
    gathered -= s.gathering.folded.count;
    seal(s.gathering);
    s.gathering = undefined;
  }

  function windowOf(key: string): Source {
    const at = now();
    const current = sources.get(key);
    if (current !== undefined && at < current.windowEndsAt) return current;
    if (current !== undefined) end(key, current);
    const s: Source = { windowEndsAt: at + o.bound.windowMs, letters: 0 };
    s.timer = setTimeout(() => end(key, s), o.bound.windowMs);
    // A window's end writes its summary; it never keeps the process alive (stopping settles every summary).
    s.timer.unref();
    sources.set(key, s);
    return s;
  }

  function end(key: string, s: Source): void {
    clearTimeout(s.timer);
    if (sources.get(key) === s) sources.delete(key);
    flush(s);
  }

  return {
    admit(m, code) {
      const s = windowOf(`${m.topic}\u0000${m.partition}`);
      if (s.letters < o.bound.perSource) {
        s.letters++;
        return { kind: 'single' };
      }
      const g = (s.gathering ??= gather(m));
      add(g, m, code);
      gathered++;
      const { durable } = g;
      if (g.folded.count >= MAX_FOLDED_PER_LETTER) flush(s);
      if (gathered >= maxWaiting) for (const each of sources.values()) flush(each);
      return { kind: 'folded', durable };
    },
    async settle() {
      settling = true;
      try {
        for (const s of sources.values()) flush(s);
        await Promise.all(writing);
      } finally {
        settling = false;
      }
    },
  };
}
