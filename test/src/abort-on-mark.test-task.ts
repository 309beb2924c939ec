/**
 * A hash pool task for decode-abort.test.ts only, never loaded by the service: the real hash task, but media that
 * holds `ABORT_MARK` aborts the whole process (SIGABRT), as V8 does when a worker's allocation goes past its
 * `resourceLimits` in a way it cannot end the worker alone (nodejs/node#47224). A worker thread may not call
 * `process.abort()` (ERR_WORKER_UNSUPPORTED_OPERATION): it sends the process the signal abort() raises, and waits.
 * Node loads it as it is (its types stripped).
 */
import hashTask from '@mod/hashing/hash-task';
import type { HashTaskInput, HashTaskOutput } from '@mod/hashing/pool';

export const ABORT_MARK = 'mod-test: this media aborts the process';

export default function abortOnMark(input: HashTaskInput): Promise<HashTaskOutput> {
  if (Buffer.from(input.bytes).includes(ABORT_MARK)) {
    process.kill(process.pid, 'SIGABRT');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  return hashTask(input);
}
