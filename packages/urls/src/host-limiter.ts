/** Per-host semaphore; waiters leave the queue when their signal aborts. */
export class HostLimiter {
  readonly #max: number;
  readonly #hosts = new Map<string, { active: number; waiters: Array<() => void> }>();

  constructor(max: number) {
    this.#max = max;
  }

  async acquire(host: string, signal: AbortSignal): Promise<(() => void) | null> {
    let slot = this.#hosts.get(host);
    if (slot === undefined) {
      slot = { active: 0, waiters: [] };
      this.#hosts.set(host, slot);
    }
    const state = slot;
    if (state.active >= this.#max) {
      const granted = await new Promise<boolean>((resolve) => {
        if (signal.aborted) return resolve(false);
        const waiter = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        const onAbort = (): void => {
          state.waiters.splice(state.waiters.indexOf(waiter), 1);
          resolve(false);
        };
        state.waiters.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!granted) {
        this.#cleanup(host, state);
        return null;
      }
    } else {
      state.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = state.waiters.shift();
      // A slot handed straight to a waiter keeps `active` unchanged.
      if (next !== undefined) next();
      else {
        state.active--;
        this.#cleanup(host, state);
      }
    };
  }

  #cleanup(host: string, state: { active: number; waiters: unknown[] }): void {
    if (state.active === 0 && state.waiters.length === 0) this.#hosts.delete(host);
  }
}
