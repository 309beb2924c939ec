import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { probeImage } from '@mod/hashing';
import { throwsAtLoadTaskFilename } from '@mod/hashing/testing';
import { createLogger } from '@mod/telemetry';
import { useTestClassifiers } from './scanned-media.test-helper.js';

// The service's pool on a task module that throws while it loads (real PostgreSQL): no worker ever starts.
const classifier = useTestClassifiers('classifier-start-test');

describe('a classifier pool whose workers cannot start', () => {
  it('keeps the process up, logs why as JSON, and fails the media with MOD_ERR_CLASSIFIER_WORKER_START_FAILED, retriable', async () => {
    const logged: Record<string, unknown>[] = [];
    let firstLine: () => void = () => undefined;
    const errored = new Promise<void>((resolve) => (firstLine = resolve));
    const destination = {
      write: (line: string) => {
        logged.push(JSON.parse(line) as Record<string, unknown>);
        firstLine();
      },
    };
    const c = classifier({
      taskFilename: throwsAtLoadTaskFilename,
      logger: createLogger('classifier-start-test', 'info', destination),
    });
    // Before: the pool's 'error' event had no listener and ended the process (vitest: an unhandled error).
    await errored;
    expect(logged[0]).toMatchObject({
      level: 'error',
      code: 'MOD_ERR_CLASSIFIER_WORKER_START_FAILED',
      err: { message: 'this task module throws at load' },
    });
    const image = probeImage();
    // Not waiting for ever for a worker: the pool tries one again for it, and fails the media when it too fails.
    expect(await c.classify(createHash('sha256').update(image).digest('hex'), image)).toEqual({
      ok: false,
      error: {
        code: 'MOD_ERR_CLASSIFIER_WORKER_START_FAILED',
        message: 'a classifier worker could not start: this task module throws at load',
        retriable: true,
      },
    });
  });
});
