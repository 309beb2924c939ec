/**
 * An 8×8 grey PNG (93 bytes) that every decoder here hashes in a few milliseconds: what a caller hands the worker pool
 * to learn whether it still hashes at all, e.g. after one of its workers crashed on some media (the scanner counts
 * the crash against that media only when the pool then hashes this).
 */
const PROBE_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAD0lEQVR42mNowAEYhpYEAILzYAEllbNjAAAAAElFTkSuQmCC';

/** A fresh copy of the probe image each call: the pool moves (detaches) the buffer it is given. */
export function probeImage(): Uint8Array {
  return Uint8Array.from(atob(PROBE_PNG_BASE64), (c) => c.charCodeAt(0));
}
