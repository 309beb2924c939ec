/**
 * The bytes of records' values the steps hold at once (`maxInFlightBytes`), counted as the pump counts a record
 * (`recordBytes`). A record takes its share when it starts and gives it back when its step is done, or earlier when
 * its step lets the value go while it awaits something else (`StepOutcome` `await`: media waiting for its verdict);
 * its value read again from the topic takes the share again, before anything new starts. One record is always let
 * in when none holds any bytes, however large (a topic's record may exceed the bound).
 */
export interface HeldBytes {
  /** Bytes held now. */
  readonly held: number;
  /** Whether a record of `bytes` may start now: it fits, and no value read again is waiting for room. */
  fits(bytes: number): boolean;
  /** The share of one record started now (`fits` said so). */
  hold(bytes: number): Hold;
}

/** One record's share of `HeldBytes`. */
export interface Hold {
  /** Whether the share is held (its step has the value). */
  readonly held: boolean;
  /** Gives the share back (the value is let go, or the step is done); nothing when not held. */
  release(): void;
  /** Takes the share again once it fits (its value read again), ahead of records not started. */
  acquire(): Promise<void>;
}

/** `limit` bytes at most (Infinity: no bound); `changed` is called whenever bytes are given back. */
export function createHeldBytes(limit: number, changed: () => void): HeldBytes {
  let held = 0;
  const waiting: { bytes: number; resolve: () => void }[] = [];
  const room = (bytes: number) => held === 0 || held + bytes <= limit;
  const admitWaiting = () => {
    while (waiting.length > 0 && room(waiting[0]!.bytes)) {
      const next = waiting.shift()!;
      held += next.bytes;
      next.resolve();
    }
  };
  const give = (bytes: number) => {
    held -= bytes;
    admitWaiting();
    changed();
  };
  return {
    get held() {
      return held;
    },
    fits: (bytes) => waiting.length === 0 && room(bytes),
    hold(bytes) {
      held += bytes;
      let mine = true;
      return {
        get held() {
          return mine;
        },
        release() {
          if (!mine) return;
          mine = false;
          give(bytes);
        },
        async acquire() {
          if (mine) return;
          if (waiting.length === 0 && room(bytes)) held += bytes;
          else await new Promise<void>((resolve) => waiting.push({ bytes, resolve }));
          mine = true;
        },
      };
    },
  };
}
