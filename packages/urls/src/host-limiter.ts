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

  /** How many callers a caller now would queue behind, or null while a slot is free (it would not queue). */
  get queue(): number | null {
    return this.#free > 0 ? null : this.#waiters.length;
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

/**
 * Per-host semaphore (a `Semaphore` per host, forgotten when idle); waiters leave when their signal aborts, and a
 * caller that gives `maxWaiting` is answered `'busy'` rather than queued behind that many (see `Semaphore`).
 */
export class HostLimiter {
  readonly #max: number;
  readonly #hosts = new Map<string, Semaphore>();

  constructor(max: number) {
    this.#max = max;
  }

  acquire(host: string, signal: AbortSignal): Promise<(() => void) | null>;
  acquire(host: string, signal: AbortSignal, maxWaiting: number): Promise<(() => void) | null | 'busy'>;
  async acquire(
    host: string,
    signal: AbortSignal,
    maxWaiting = Infinity,
  ): Promise<(() => void) | null | 'busy'> {
    let slots = this.#hosts.get(host);
    if (slots === undefined) {
      slots = new Semaphore(this.#max);
      this.#hosts.set(host, slots);
    }
    const own = slots;
    // Checked before queueing, so a host already that busy never gets one more waiter.
    if ((own.queue ?? -1) >= maxWaiting) return 'busy';
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

/**
 * `size` slots shared fairly between owners (e.g. the pages a fetcher crawls at once): an owner alone may hold them
 * all; while `n` (two or more) owners hold or want slots, each has a share, max(1, floor(size / (n + 1))). A free
 * slot goes first to a waiter whose owner is under its share (first come first served), else to the first waiter,
 * except the last free slot, kept for an owner that comes while others are busy: a page whose slots are held by
 * slow bodies cannot take them all, and a newcomer is served at once, yet at most one slot stands idle. An owner
 * that took more while alone keeps them until it releases them. Never more than `size` slots are held. Waiters
 * leave when their signal aborts (answered null).
 */
export class FairSlots<K> {
  readonly #size: number;
  #free: number;
  /** Owners holding or wanting slots; one holding and wanting none is forgotten. */
  readonly #owners = new Map<K, { held: number; waiting: number }>();
  readonly #waiters: { owner: K; grant: () => void }[] = [];

  constructor(size: number) {
    this.#size = size;
    this.#free = size;
  }

  /** No slot taken and nobody waiting. */
  get idle(): boolean {
    return this.#free === this.#size && this.#waiters.length === 0;
  }

  /** Slots `owner` holds now. */
  held(owner: K): number {
    return this.#owners.get(owner)?.held ?? 0;
  }

  /** How many slots each owner may hold now. */
  get share(): number {
    const n = this.#owners.size;
    return n <= 1 ? this.#size : Math.max(1, Math.floor(this.#size / (n + 1)));
  }

  async acquire(owner: K, signal: AbortSignal): Promise<(() => void) | null> {
    if (signal.aborted) return null;
    const state = this.#owners.get(owner) ?? { held: 0, waiting: 0 };
    this.#owners.set(owner, state);
    state.waiting++;
    const granted = await new Promise<boolean>((resolve) => {
      const waiter = {
        owner,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        state.waiting--;
        this.#forgetIfIdle(owner, state);
        // One owner fewer may widen the others' share.
        this.#dispatch();
        resolve(false);
      };
      this.#waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#dispatch();
    });
    if (!granted) return null;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.held--;
      this.#free++;
      this.#forgetIfIdle(owner, state);
      this.#dispatch();
    };
  }

  /** Hands free slots to waiters under their share first, then to any, but for one slot kept in reserve. */
  #dispatch(): void {
    while (this.#free > 0 && this.#waiters.length > 0) {
      const share = this.share;
      let i = this.#waiters.findIndex((w) => this.held(w.owner) < share);
      if (i < 0 && this.#free > 1) i = 0;
      if (i < 0) return;
      const [waiter] = this.#waiters.splice(i, 1);
      const state = this.#owners.get(waiter!.owner)!;
      state.waiting--;
      state.held++;
      this.#free--;
      waiter!.grant();
    }
  }

  #forgetIfIdle(owner: K, state: { held: number; waiting: number }): void {
    if (state.held === 0 && state.waiting === 0 && this.#owners.get(owner) === state)
      this.#owners.delete(owner);
  }
}
