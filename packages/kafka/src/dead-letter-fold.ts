import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLettersFolded } from '@mod/contracts';
import type { Logger } from '@mod/telemetry';
import type { ConsumedMessage } from './step.js';

/**
 * The code of a summary dead letter: the dead letters of one source partition past its tenant's cap, folded into one.
 */
export const DEAD_LETTERS_FOLDED = 'MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED';

/**
 * Default `DeadLetterBound.perSource`: dead letters of their own per source tenant and window, across the partitions
 * a consumer owns.
 */
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
 * How many dead letters one source (a tenant: the records of its own topic, every partition of it this consumer
 * owns; on our own topics, the tenant a record names, `recordTenantOf`; or those naming none, together) may have
 * written one by one: `perSource` within a window of `windowMs` that starts at its first dead letter. The rest of
 * the window's are folded, per source partition, into one summary each (`DEAD_LETTERS_FOLDED`), written when the
 * window ends, when it stands for `MAX_FOLDED_PER_LETTER` records, or when the runner's session ends; their offsets
 * are committed only after it.
 * Each consumer (a runner: one member of a consumer group) counts for itself: a group whose members share a
 * tenant's partitions writes up to `perSource` letters per member and window, and a summary per partition.
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
  /**
   * The window of its tenant (or of our own topics' records that name none) as the summary was sealed, across the
   * partitions this consumer owns: dead letters written one by one, and records folded (this summary's among them).
   */
  window: { letters: number; folded: number };
  /** Whose window: the topic's tenant, on our own topics the tenant the records name, or null (none named). */
  windowTenant: string | null;
}

/** What becomes of one dead letter: written on its own now, or folded (its offset waits for `durable`). */
export type Admission = { kind: 'single' } | { kind: 'folded'; durable: Promise<boolean> };

export interface DeadLetterFolder {
  /** Counts `m`'s dead letter (reason `code`) against its tenant's bound. */
  admit(m: ConsumedMessage, code: string): Admission;
  /**
   * Writes every summary gathered so far and waits for them all: each is written, or given up after one more failed
   * attempt (its `durable` is false: those records stay uncommitted and are read again). The windows go on.
   */
  settle(): Promise<void>;
  /**
   * Gives up the summaries of a source partition this consumer no longer owns (a rebalance gave it to another
   * member, which reads its uncommitted records again and letters them itself): the records gathered resolve
   * `durable` false, unwritten; a summary already being written is not tried again if it fails. Their records no
   * longer count in their window's totals (their letters written one by one still do).
   */
  abandon(topic: string, partition: number): void;
}

/** Whose dead letters are counted together (`DeadLetterBound`): a tenant's. */
export interface DeadLetterTenancy {
  /** The tenant whose own topic `topic` is (a partner's; named by its summaries and their metric), or null. */
  tenantOf?: (topic: string) => string | null;
  /**
   * For a record of a topic `tenantOf` names no tenant for (our own topics, written only by our services): the
   * tenant its event names (a header or envelope our principals wrote, as the steps trust it), or null. Its dead
   * letters count in that tenant's bound, so that one tenant's bad records on a topic all tenants share cannot use
   * up the bound of the others; records naming none share one bound. Default: none (our own topics share one).
   */
  recordTenantOf?: (m: ConsumedMessage) => string | null;
}

export interface DeadLetterFolderOptions extends DeadLetterTenancy {
  bound: DeadLetterBound;
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
  /** Its partition was taken from this consumer (`abandon`). */
  abandoned: boolean;
}

/** A tenant's window (or our own topics'): its letters, and a summary being gathered per source partition. */
interface Window {
  windowEndsAt: number;
  letters: number;
  folded: number;
  gathering: Map<string, Gathering>;
  timer?: NodeJS.Timeout;
}

const sourceKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Bounds the dead letters of each tenant (`DeadLetterBound`), folding the surplus into summaries per source
 * partition.
 */
export function createDeadLetterFolder(o: DeadLetterFolderOptions): DeadLetterFolder {
  const now = o.now ?? Date.now;
  /** By tenant; our own topics' records that name none under the empty key (tenant ids are never empty). */
  const windows = new Map<string, Window>();
  /** Summaries sealed and being written. */
  const writing = new Map<Gathering, Promise<void>>();
  const maxWaiting = o.bound.maxWaiting ?? MAX_FOLDED_WAITING;
  /** Records in the summaries being gathered (not yet sealed). */
  let gathered = 0;
  let settling = false;

  function gather(m: ConsumedMessage, tenant: string | null, windowTenant: string | null): Gathering {
    let resolve: (written: boolean) => void = () => undefined;
    const durable = new Promise<boolean>((r) => (resolve = r));
    const folded: DeadLettersFolded = {
      count: 0,
      firstOffset: m.offset,
      lastOffset: m.offset,
      tenant,
      valueBytes: 0,
      codes: [],
    };
    const window = { letters: 0, folded: 0 };
    return {
      topic: m.topic,
      partition: m.partition,
      folded,
      window,
      windowTenant,
      codes: new Map(),
      resolve,
      durable,
      abandoned: false,
    };
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

  /**
   * Writes a summary until the broker takes it (or, while settling or once abandoned, gives up after a failed
   * attempt).
   */
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
          if (settling || g.abandoned) {
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
    writing.set(g, task);
    void task.finally(() => writing.delete(g));
  }

  /** Seals what the window gathered of one source partition. */
  function flush(w: Window, source: string): void {
    const g = w.gathering.get(source);
    if (g === undefined) return;
    w.gathering.delete(source);
    gathered -= g.folded.count;
    g.window = { letters: w.letters, folded: w.folded };
    seal(g);
  }

  const flushAll = (w: Window) => {
    for (const source of [...w.gathering.keys()]) flush(w, source);
  };

  function windowOf(key: string): Window {
    const at = now();
    const current = windows.get(key);
    if (current !== undefined && at < current.windowEndsAt) return current;
    if (current !== undefined) end(key, current);
    const w: Window = { windowEndsAt: at + o.bound.windowMs, letters: 0, folded: 0, gathering: new Map() };
    w.timer = setTimeout(() => end(key, w), o.bound.windowMs);
    // A window's end writes its summaries; it never keeps the process alive (stopping settles every summary).
    w.timer.unref();
    windows.set(key, w);
    return w;
  }

  function end(key: string, w: Window): void {
    clearTimeout(w.timer);
    if (windows.get(key) === w) windows.delete(key);
    flushAll(w);
  }

  return {
    admit(m, code) {
      const tenant = o.tenantOf?.(m.topic) ?? null;
      const windowTenant = tenant ?? o.recordTenantOf?.(m) ?? null;
      const w = windowOf(windowTenant ?? '');
      if (w.letters < o.bound.perSource) {
        w.letters++;
        return { kind: 'single' };
      }
      const source = sourceKey(m.topic, m.partition);
      let g = w.gathering.get(source);
      if (g === undefined) w.gathering.set(source, (g = gather(m, tenant, windowTenant)));
      add(g, m, code);
      gathered++;
      w.folded++;
      const { durable } = g;
      if (g.folded.count >= MAX_FOLDED_PER_LETTER) flush(w, source);
      if (gathered >= maxWaiting) for (const each of windows.values()) flushAll(each);
      return { kind: 'folded', durable };
    },
    async settle() {
      settling = true;
      try {
        for (const w of windows.values()) flushAll(w);
        await Promise.all(writing.values());
      } finally {
        settling = false;
      }
    },
    abandon(topic, partition) {
      const source = sourceKey(topic, partition);
      for (const w of windows.values()) {
        const g = w.gathering.get(source);
        if (g === undefined) continue;
        w.gathering.delete(source);
        gathered -= g.folded.count;
        w.folded -= g.folded.count;
        g.abandoned = true;
        g.resolve(false);
      }
      for (const g of writing.keys()) if (g.topic === topic && g.partition === partition) g.abandoned = true;
    },
  };
}
