import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { heapHungryClassifyTaskFilename } from '@mod/classifier/testing';
import { loadConfig } from '@mod/config';
import { MAX_WORKER_CRASHES } from '@mod/hashing';
import { seededPhoto } from '@mod/hashing/testing/synthetic-photos';
import { heapHungryPng } from '@mod/hashing/testing';
import { Histogram } from '@mod/telemetry';
import { configProblems } from '@mod/testing';
import { classifierSpec } from './config.js';
import { scannedMediaStep, useTestClassifiers } from './scanned-media.test-helper.js';

// A classifier worker that runs out of heap, for real: the service's pool with CLASSIFIER_WORKER_MAX_HEAP_MB, the
// real models and PostgreSQL, on a test task that classifies as the classify task does except on heapHungryPng.

const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const sea = readFileSync(new URL('../../../packages/classifier/fixtures/sea.jpg', import.meta.url));

// Config parsing only: no broker is reached, so the principal's name and password are placeholders.
const settings = (env: Record<string, string>) =>
  loadConfig(classifierSpec, { KAFKA_SASL_USERNAME: 'classifier', KAFKA_SASL_PASSWORD: 'unused', ...env });

const batches = new Histogram({ name: 'b', help: 'b', buckets: [1, 2, 3, 4], registers: [] });
const classifier = useTestClassifiers('classifier-crash-test');
const heapHungryClassifier = (workerMaxHeapMb: number) =>
  classifier({ batchSize: 4, workerMaxHeapMb, taskFilename: heapHungryClassifyTaskFilename, batches });

describe('classifier workers within CLASSIFIER_WORKER_MAX_HEAP_MB (real workers, models and PostgreSQL)', () => {
  it(`dead-letters media that crashed its worker alone ${MAX_WORKER_CRASHES} times, and classifies the next`, async () => {
    expect(settings({}).CLASSIFIER_WORKER_MAX_HEAP_MB).toBe(256);
    const config = settings({ CLASSIFIER_WORKER_MAX_HEAP_MB: '48' });
    const { step, published, scannedMedia } = scannedMediaStep(
      heapHungryClassifier(config.CLASSIFIER_WORKER_MAX_HEAP_MB),
    );
    const hungry = await heapHungryPng();
    const first = scannedMedia(hungry);
    // First crash: retried (the machine may be at fault); the runner would run the step again.
    const retried = await step(first.message);
    expect(retried.kind).toBe('retry');
    expect(retried.kind === 'retry' && String(retried.error)).toMatch(
      /^Error: MOD_ERR_CLASSIFIER_WORKER_CRASHED: classifier worker crashed: .*memory limit/,
    );
    expect(await step(first.message)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED',
    });
    // The same bytes under another submission: failed at their next crash, not retried for ever.
    expect(await step(scannedMedia(hungry).message)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED',
    });
    const next = scannedMedia(photo);
    expect(await step(next.message)).toEqual({ kind: 'ok' });
    expect(published.map((c) => c.submissionId)).toEqual([next.submissionId]);
  });

  it('classifies media that shared a crashed task, trying each alone; only the crashing one is counted', async () => {
    const config = settings({ CLASSIFIER_WORKER_MAX_HEAP_MB: '48' });
    const { step, published, scannedMedia } = scannedMediaStep(
      heapHungryClassifier(config.CLASSIFIER_WORKER_MAX_HEAP_MB),
    );
    // One thread: the first media takes it (a new pool's worker loads the models first), the two behind it go
    // together in one task, which crashes. Media never classified before: a cached result takes no worker.
    batches.reset();
    const busy = scannedMedia(await seededPhoto(7, { width: 320, height: 240, ringPeriod: 9, quality: 85 }));
    const hungry = scannedMedia(await heapHungryPng('#406080'));
    const neighbour = scannedMedia(sea);
    const outcomes = await Promise.all([step(busy.message), step(hungry.message), step(neighbour.message)]);
    expect(outcomes[0]).toEqual({ kind: 'ok' });
    expect(outcomes[1]).toMatchObject({ kind: 'retry' });
    expect(outcomes[2]).toEqual({ kind: 'ok' });
    expect(published.map((c) => c.submissionId).sort()).toEqual(
      [busy.submissionId, neighbour.submissionId].sort(),
    );
    expect(await step(hungry.message)).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_WORKER_CRASHED',
    });
  });

  it.each(['16', '4097', 'lots', '1.5', '-64'])(
    'refuses %s at start with MOD_ERR_CONFIG_INVALID naming it alone',
    (value) => {
      expect(configProblems(() => settings({ CLASSIFIER_WORKER_MAX_HEAP_MB: value }))).toEqual([
        expect.stringMatching(/^CLASSIFIER_WORKER_MAX_HEAP_MB /),
      ]);
    },
  );
});
