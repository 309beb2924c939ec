/**
 * A counting semaphore whose waiters leave the queue when their signal aborts (answered null); a caller whose signal
 * has already aborted gets no slot.
 */
export class Semaphore {
  readonly #size: number;
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
    this.#free = size;
  }

  /** No slot taken and nobody waiting. */
  get idle(): boolean {
    return this.#free === this.#size && this.#waiters.length === 0;
  }

  async acquire(signal: AbortSignal): Promise<(() => void) | null> {
    if (signal.aborted) return null;
    if (this.#free > 0) this.#free--;
    else {
      const granted = await new Promise<boolean>((resolve) => {
        const waiter = () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        const onAbort = () => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          resolve(false);
        };
        this.#waiters.push(waiter);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!granted) return null;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A slot handed straight to a waiter stays taken.
      const next = this.#waiters.shift();
      if (next !== undefined) next();
      else this.#free++;
    };
  }
}

/** Per-host semaphore (a `Semaphore` per host, forgotten when idle); waiters leave when their signal aborts. */
export class HostLimiter {
  readonly #max: number;
  readonly #hosts = new Map<string, Semaphore>();

  constructor(max: number) {
    this.#max = max;
  }

  async acquire(host: string, signal: AbortSignal): Promise<(() => void) | null> {
    let slots = this.#hosts.get(host);
    if (slots === undefined) {
      slots = new Semaphore(this.#max);
      this.#hosts.set(host, slots);
    }
    const own = slots;
    const release = await own.acquire(signal);
    if (release === null) {
      this.#forgetIfIdle(host, own);
      return null;
    }
    return () => {
      release();
      this.#forgetIfIdle(host, own);
    };
  }

  #forgetIfIdle(host: string, slots: Semaphore): void {
    if (slots.idle && this.#hosts.get(host) === slots) this.#hosts.delete(host);
  }
}
