import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bufferedIo } from './command.js';
import { createImportProgress } from './progress.js';

const progress = (line: string | undefined) =>
  (JSON.parse(line ?? '{}') as { progress: Record<string, unknown> }).progress;
/** A line of the change being applied: all 4000 lines read at the reading rate, `elapsedSeconds` in. */
const applying = (elapsedSeconds: number) => ({
  phase: 'applying',
  lines: 4000,
  linesPerSecond: 1333,
  elapsedSeconds,
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('import progress on stderr', () => {
  it('prints the latest counts every interval, once when reading ends, and a summary', () => {
    const c = bufferedIo();
    let ms = 0;
    let bytes = 0;
    const p = createImportProgress(c.io, {
      enabled: true,
      intervalMs: 2000,
      now: () => ms,
      bytesRead: () => bytes,
      totalBytes: 90_000,
    });
    // Batches arrive faster than the interval: only the latest counts are printed, on the timer.
    p.onProgress?.({ phase: 'reading', lines: 1000, badLines: 0 });
    p.onProgress?.({ phase: 'reading', lines: 2000, badLines: 3 });
    expect(c.err).toEqual([]);
    ms = 2000;
    bytes = 40_000;
    vi.advanceTimersByTime(2000);
    expect(progress(c.err[0])).toEqual({
      phase: 'reading',
      lines: 2000,
      accepted: 1997,
      badLines: 3,
      linesPerSecond: 1000,
      elapsedSeconds: 2,
      bytesRead: 40_000,
      bytes: 90_000,
    });
    ms = 3000;
    bytes = 90_000;
    p.onProgress?.({ phase: 'applying', lines: 4000, badLines: 3 });
    expect(progress(c.err[1])).toMatchObject(applying(3));
    // The change takes a while: the operator still sees it is alive, and the reading rate stays as it was.
    ms = 5000;
    vi.advanceTimersByTime(2000);
    expect(progress(c.err[2])).toMatchObject(applying(5));
    ms = 5500;
    p.finish();
    expect(progress(c.err[3])).toEqual({
      phase: 'done',
      lines: 4000,
      accepted: 3997,
      badLines: 3,
      linesPerSecond: 1333,
      elapsedSeconds: 5.5,
      bytesRead: 90_000,
      bytes: 90_000,
    });
    // Finished: the timer is gone.
    vi.advanceTimersByTime(10_000);
    expect(c.err).toHaveLength(4);
  });

  it('prints nothing when off, and nothing more once stopped after a failure', () => {
    const off = bufferedIo();
    const none = createImportProgress(off.io, { enabled: false });
    expect(none.onProgress).toBeUndefined();
    none.finish();
    vi.advanceTimersByTime(10_000);
    expect(off.err).toEqual([]);

    const failed = bufferedIo();
    const p = createImportProgress(failed.io, { enabled: true, intervalMs: 1000 });
    p.onProgress?.({ phase: 'reading', lines: 10, badLines: 0 });
    p.stop();
    vi.advanceTimersByTime(10_000);
    expect(failed.err).toEqual([]);
  });
});
