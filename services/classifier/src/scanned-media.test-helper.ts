import { createHash, randomUUID } from 'node:crypto';
import type { Classified } from '@mod/contracts';
import type { SubmissionScanState } from '@mod/db/submissions';
import { Counter, createRegistry } from '@mod/telemetry';
import { uploadedMediaMessage } from '@mod/testing';
import { createClassifyStep } from './classify-step.js';
import type { MediaClassifier } from './media-classifier.js';

export const MEDIA_TOPIC = 'p.mod.media-submitted.v2';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The classify step over a real `MediaClassifier`, every media scanned with no match by `scannedMedia` of the same
 * call; what it publishes is kept in `published`.
 */
export function scannedMediaStep(classifier: MediaClassifier) {
  const states = new Map<string, SubmissionScanState>();
  const published: Classified[] = [];
  const step = createClassifyStep({
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    scanState: (id) => Promise.resolve(states.get(id) ?? null),
    tenants: { get: () => Promise.resolve({ kind: 'platform', disabled: false }) },
    classify: (digest, bytes) => classifier.classify(digest, bytes),
    publish: (c) => {
      published.push(c);
      return Promise.resolve();
    },
    verdictWaitMs: 60_000,
    maxMediaBytes: 12 * 1024 * 1024,
    skipped: new Counter({
      name: 'skipped',
      help: 'skipped',
      labelNames: ['reason'],
      registers: [createRegistry('test')],
    }),
  });
  /** A media message of a new submission of `bytes`, scanned with no match. */
  const scannedMedia = (bytes: Buffer) => {
    const submissionId = randomUUID();
    states.set(submissionId, {
      tenantId: 'platform-1',
      status: 'scanned',
      decision: 'no-match',
      sha256: sha256(bytes),
      classifiedAt: null,
    });
    return {
      submissionId,
      message: uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value: bytes }),
    };
  };
  return { step, published, scannedMedia };
}
