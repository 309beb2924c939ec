import type { Piscina } from 'piscina';

/** The last 'error' event of each guarded pool that has answered no task since. */
const failing = new WeakMap<object, Error>();

/**
 * Answers a Piscina pool's 'error' event, which unanswered ends the process. Piscina emits it when a worker fails
 * with no task of its own to fail: one whose module throws at load or whose `resourceLimits` are exceeded while it
 * starts (a first worker that takes a task at once fails that task instead). Piscina then starts no worker in its
 * place and the tasks queued for one would wait for ever, so the pool's work is failed (its `destroy()`: every
 * task queued or running rejects, and until the pool answers a task again `poolStartFailure` names the error) and
 * the pool stays usable, the next task starting a worker again. `onError` is told each one (log it, count it).
 */
export function guardPoolErrors(pool: Piscina, onError: (err: Error) => void): void {
  pool.on('error', (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    failing.set(pool, error);
    try {
      onError(error);
    } finally {
      // destroy() drops every task before it awaits the workers' exits; it does not reject.
      void pool.destroy().catch(() => undefined);
    }
  });
}

/**
 * The pool's last 'error' (a worker that could not start) when it has answered no task since: a task it refused
 * or dropped meanwhile was failed for the pool's sake, not the content's.
 */
export function poolStartFailure(pool: Piscina): Error | undefined {
  return failing.get(pool);
}

/** Tells the guard the pool answered a task: its workers start again. */
export function poolAnswered(pool: Piscina): void {
  failing.delete(pool);
}
