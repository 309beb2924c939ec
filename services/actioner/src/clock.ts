/** Where the actioner gets the time: injected, so tests drive deadlines and re-notices without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told (tests). */
export interface ManualClock extends Clock {
  set(at: Date): void;
  advance(ms: number): Date;
}

export function createManualClock(start: Date): ManualClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set(at) {
      t = at.getTime();
    },
    advance(ms) {
      t += ms;
      return new Date(t);
    },
  };
}
