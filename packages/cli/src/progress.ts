import type { ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Curator, ImportProgress } from '@mod/curation';
import type { CommandIo } from './command.js';
import { CliError, CliErrorCode } from './errors.js';

export interface ImportProgressOptions {
  /** Print anything at all: `--progress` was given, or stderr is a terminal. */
  enabled: boolean;
  /** Between two `reading` (and `applying`) lines. Default 2000. */
  intervalMs?: number;
  /** Bytes of the file read so far (the read stream's `bytesRead`), and its size: how far the import is. */
  bytesRead?: () => number;
  totalBytes?: number;
  /** Milliseconds, for the elapsed time and the rate. Default `performance.now`. */
  now?: () => number;
}

export interface ImportProgressReporter {
  /**
   * The import's `onProgress`, or undefined when progress is off (the import then skips the call). Stores the
   * counts only: the lines are printed by a timer, so the import's loop pays for an assignment, not for output.
   */
  onProgress: ((p: ImportProgress) => void) | undefined;
  /** The import ended: prints the `done` summary and stops the timer. */
  finish: () => void;
  /** The import failed (its error is the last line on stderr): stops the timer, prints nothing. */
  stop: () => void;
}

/**
 * Progress of a long `bank import` or `url-list import` on stderr, one JSON line
 * `{"progress":{"phase":...,"lines":...,"accepted":...,"badLines":...,"linesPerSecond":...,"elapsedSeconds":...}}`
 * every `intervalMs` while the file is read and while the change is applied, one when reading ends (phase
 * `applying`), and a `done` summary. `linesPerSecond` is the reading rate (lines read over the time spent
 * reading); `elapsedSeconds` counts from the start. JSON like the bad-line reports beside it (`{"line":N,"error":...}`), so
 * stderr stays JSON lines; it is printed only when asked for or watched, so scripts that read stderr see what
 * they always saw.
 */
export function createImportProgress(io: CommandIo, options: ImportProgressOptions): ImportProgressReporter {
  if (!options.enabled) return { onProgress: undefined, finish: () => {}, stop: () => {} };
  const now = options.now ?? (() => performance.now());
  const started = now();
  let latest: ImportProgress = { phase: 'reading', lines: 0, badLines: 0 };
  /** How long reading took, once it has ended: the rate is the reading rate, steady while the change applies. */
  let readingMs: number | null = null;

  const print = (phase: ImportProgress['phase'] | 'done') => {
    const elapsedMs = now() - started;
    const readMs = readingMs ?? elapsedMs;
    const { lines, badLines } = latest;
    io.stderr(
      JSON.stringify({
        progress: {
          phase,
          lines,
          accepted: lines - badLines,
          badLines,
          linesPerSecond: readMs > 0 ? Math.round((lines * 1000) / readMs) : 0,
          elapsedSeconds: Math.round(elapsedMs / 100) / 10,
          ...(options.bytesRead === undefined ? {} : { bytesRead: options.bytesRead() }),
          ...(options.totalBytes === undefined ? {} : { bytes: options.totalBytes }),
        },
      }),
    );
  };
  const timer = setInterval(() => print(latest.phase), options.intervalMs ?? 2000);
  // A forgotten reporter must not keep the process alive.
  timer.unref();

  return {
    onProgress: (p) => {
      const readingEnded = p.phase === 'applying' && latest.phase === 'reading';
      latest = p;
      if (readingEnded) {
        readingMs = now() - started;
        print('applying');
      }
    },
    finish: () => {
      clearInterval(timer);
      print('done');
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * `file` opened for reading, or MOD_ERR_CLI_FILE_UNREADABLE: missing, a directory, not ours to read. Opened before
 * the import starts, so the operator's input is refused as such (and no stream is left failing unheard).
 */
async function openList(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    if ((await handle.stat()).isDirectory())
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return handle;
  } catch (err) {
    await handle?.close().catch(() => undefined);
    throw new CliError(CliErrorCode.FileUnreadable, `${file}: ${(err as Error).message}`);
  }
}

/**
 * The options of a list import, into a hash bank or a URL list alike: replace (the default) or append, strict
 * (no bad line taken), force (a replace with more bad lines than good), progress on stderr.
 */
export const LIST_IMPORT_OPTIONS = {
  mode: { type: 'string', default: 'replace' },
  strict: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
} as const;

/**
 * Runs the import of `file`, read through the stream it is given, with its progress on stderr when asked
 * (`--progress`) or watched (stderr is a terminal): the bytes read of the file's size (for a regular file), and
 * the `done` summary once `run` succeeds.
 */
export async function importFileWithProgress<T>(
  io: CommandIo,
  options: { file: string; progress: boolean; intervalMs?: number },
  run: (input: ReadStream, onProgress: ((p: ImportProgress) => void) | undefined) => Promise<T>,
): Promise<T> {
  const { file } = options;
  const handle = await openList(file);
  const input = handle.createReadStream();
  const enabled = options.progress || io.stderrIsTTY === true;
  // The size only when it is known: a pipe or /dev/stdin has none.
  const totalBytes = enabled
    ? await handle.stat().then(
        (s) => (s.isFile() ? s.size : undefined),
        () => undefined,
      )
    : undefined;
  const progress = createImportProgress(io, {
    enabled,
    bytesRead: () => input.bytesRead,
    ...(totalBytes === undefined ? {} : { totalBytes }),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  try {
    const result = await run(input, progress.onProgress);
    progress.finish();
    return result;
  } finally {
    progress.stop();
    // Closes the file however the import ended (one that failed may not have read it to its end).
    input.destroy();
  }
}

/** What every list import of modctl hands the curation import, into a hash bank or a URL list alike. */
export interface ListImportCommon<M extends string> {
  mode: M;
  strict: boolean;
  force: boolean;
  input: ReadStream;
  onProgress: ((p: ImportProgress) => void) | undefined;
  /** Names the file and the operator: `modctl import of <file> by <actor>`. */
  provenance: string;
}

/**
 * `importFileWithProgress` of the list `file` that `by` imports, handing `run` what every list import passes on:
 * the `LIST_IMPORT_OPTIONS` values, the file's stream, its progress, and the provenance.
 */
export function importListFile<M extends string, T>(
  io: CommandIo,
  file: string,
  options: { mode: M; strict: boolean; force: boolean; progress: boolean },
  by: Curator,
  run: (common: ListImportCommon<M>) => Promise<T>,
): Promise<T> {
  const { mode, strict, force } = options;
  return importFileWithProgress(io, { file, progress: options.progress }, (input, onProgress) =>
    run({ mode, strict, force, input, onProgress, provenance: `modctl import of ${file} by ${by.actor.id}` }),
  );
}
