import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { ClassifierError, ClassifierErrorCode } from './errors.js';

/** Which TensorFlow.js backend to run. `auto` tries tfjs-node (`tensorflow`), then `wasm`. */
export const BackendPreference = {
  AUTO: 'auto',
  TENSORFLOW: 'tensorflow',
  WASM: 'wasm',
  CPU: 'cpu',
} as const;
export type BackendPreference = (typeof BackendPreference)[keyof typeof BackendPreference];

/** The backend that actually runs, with the wasm features it uses. */
export interface BackendInfo {
  readonly name: 'tensorflow' | 'wasm' | 'cpu';
  readonly simd: boolean;
  readonly threads: number;
  /** Why a preferred backend was skipped (e.g. tfjs-node not installed), for the start-up log. */
  readonly notes: readonly string[];
}

export interface BackendOptions {
  /** Default `auto`. */
  readonly preference?: BackendPreference;
  /**
   * XNNPACK threads for wasm. Default 1: the classifier runs one per worker thread, one worker per core,
   * so more threads would only oversubscribe the cores (and tfjs disables wasm threads under Node anyway).
   */
  readonly wasmThreads?: number;
}

const require = createRequire(import.meta.url);
// tfjs-node is optional and usually absent (its install downloads libtensorflow): keep the name out of the
// static import graph so TypeScript and bundlers do not require it.
const TFJS_NODE = '@tensorflow/tfjs-node';

let active: Promise<BackendInfo> | undefined;

/** Directory holding the installed tfjs-backend-wasm `.wasm` binaries (a file path: nothing is fetched). */
export function wasmBinaryDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
}

async function tryTensorflow(notes: string[]): Promise<boolean> {
  try {
    await import(TFJS_NODE);
    return await tf.setBackend('tensorflow');
  } catch (err) {
    notes.push(`tensorflow: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return false;
  }
}

async function tryWasm(notes: string[], threads: number): Promise<boolean> {
  try {
    tfWasm.setWasmPaths(wasmBinaryDir());
    tfWasm.setThreadsCount(threads);
    return await tf.setBackend('wasm');
  } catch (err) {
    notes.push(`wasm: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function init(preference: BackendPreference, wasmThreads: number): Promise<BackendInfo> {
  const notes: string[] = [];
  let ok = false;
  if (preference === 'auto' || preference === 'tensorflow') ok = await tryTensorflow(notes);
  if (!ok && (preference === 'auto' || preference === 'wasm')) ok = await tryWasm(notes, wasmThreads);
  if (!ok && preference === 'cpu') ok = await tf.setBackend('cpu');
  if (!ok) {
    throw new ClassifierError(
      ClassifierErrorCode.BACKEND_UNAVAILABLE,
      `no TensorFlow.js backend for preference "${preference}": ${notes.join('; ')}`,
      { retriable: true },
    );
  }
  await tf.ready();
  const name = tf.getBackend() as BackendInfo['name'];
  const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
  const threads = name === 'wasm' ? tfWasm.getThreadsCount() : 0;
  return { name, simd, threads, notes };
}

/**
 * Selects the process-wide (per worker thread) TensorFlow.js backend once. TensorFlow.js keeps one global
 * engine, so every classifier in a thread shares it: a later call with a different preference is refused.
 */
export async function ensureBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const preference = options.preference ?? 'auto';
  const wasmThreads = options.wasmThreads ?? 1;
  if (!Object.values(BackendPreference).includes(preference)) {
    throw new ClassifierError(
      ClassifierErrorCode.INVALID_ARGUMENT,
      `unknown backend preference "${String(preference)}"`,
    );
  }
  if (!Number.isInteger(wasmThreads) || wasmThreads < 1 || wasmThreads > 64) {
    throw new ClassifierError(
      ClassifierErrorCode.INVALID_ARGUMENT,
      'wasmThreads must be an integer in 1..64',
    );
  }
  if (active === undefined) {
    const attempt = init(preference, wasmThreads);
    active = attempt;
    attempt.catch(() => {
      if (active === attempt) active = undefined;
    });
  }
  const info = await active;
  if (preference !== 'auto' && preference !== info.name) {
    throw new ClassifierError(
      ClassifierErrorCode.INVALID_ARGUMENT,
      `backend "${info.name}" already runs in this thread; cannot switch to "${preference}"`,
    );
  }
  return info;
}
