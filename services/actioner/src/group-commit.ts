import type { ActionStore, ActionTx } from './action-store.js';

/** Runs work in transactions shared by every caller waiting at the time (group commit). */
export interface GroupCommit {
  run<T>(work: (tx: ActionTx) => Promise<T>): Promise<T>;
}

interface Job {
  work: (tx: ActionTx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: the callers waiting while a transaction runs share the next one, up to `maxBatch` of them, in the
 * order they came. Under load, verdicts share one transaction's begin, audit lock and commit (the audit log takes
 * one global lock per transaction); when idle, a verdict runs alone at once. A batch that fails is run again one
 * job per transaction, so one bad message never holds the others back or fails them: each caller gets its own
 * result or error.
 */
export function createGroupCommit(store: ActionStore, maxBatch: number): GroupCommit {
  const queue: Job[] = [];
  let draining = false;

  async function runAlone(job: Job): Promise<void> {
    try {
      job.resolve(await store.transaction((tx) => job.work(tx)));
    } catch (err) {
      job.reject(err);
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, Math.max(1, maxBatch));
        if (batch.length === 1) {
          await runAlone(batch[0]!);
          continue;
        }
        let results: unknown[];
        try {
          results = await store.transaction(async (tx) => {
            const out: unknown[] = [];
            for (const job of batch) out.push(await job.work(tx));
            return out;
          });
        } catch {
          for (const job of batch) await runAlone(job);
          continue;
        }
        batch.forEach((job, i) => job.resolve(results[i]));
      }
    } finally {
      draining = false;
    }
  }

  return {
    run<T>(work: (tx: ActionTx) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!draining) void drain();
      });
    },
  };
}
