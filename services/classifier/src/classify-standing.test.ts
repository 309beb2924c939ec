import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Classified } from '@mod/contracts';
import {
  createTenantDirectory,
  insertSubmission,
  recordScannedVerdict,
  submissionScanState,
} from '@mod/db/submissions';
import { Counter, createRegistry } from '@mod/telemetry';
import {
  createTestSchema,
  seedTenants,
  setTenantDisabled,
  uploadedMediaMessage,
  whileDisabled,
  type TestDatabase,
} from '@mod/testing';
import type { EvidenceMedia } from '@mod/vault';
import {
  bytes,
  classificationOf,
  MEDIA_TOPIC,
  noMatchVerdict,
  sha256,
} from './classification.test-helper.js';
import { createClassifyStep } from './classify-step.js';

// The classifier checks its tenant's standing again when its result would be kept and published (and open a review
// case): media whose verdict came while the tenant was in standing is held once the tenant is disabled, with the
// code the scanner and the fetcher dead-letter its events with. On a real PostgreSQL, as the service reads it.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestSchema();
  await seedTenants(db.pool, [{ id: 'platform-1', kind: 'platform' }]);
});
afterAll(async () => db?.drop());

/** A submission of `platform-1` its scanner's verdict left to the classifier (matched nothing). */
async function scannedNoMatch(): Promise<string> {
  const id = randomUUID();
  await insertSubmission(db.pool, { id, tenantId: 'platform-1', source: 'api', url: null, sha256, bytes: 1 });
  await recordScannedVerdict(db.pool, noMatchVerdict(id));
  return id;
}

/** The step as the service wires it on the database; `whileClassifying` runs while the model works. */
function harness(whileClassifying: () => Promise<unknown> = () => Promise.resolve()) {
  const published: Classified[] = [];
  const kept: EvidenceMedia[] = [];
  const step = createClassifyStep({
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    scanState: (id) => submissionScanState(db.pool, id),
    // No cache: each look-up reads the tenant's row (the service's lasts seconds).
    tenants: createTenantDirectory(db.pool, 0),
    classify: async () => {
      await whileClassifying();
      return { ok: true, classification: classificationOf(true) };
    },
    publish: (c) => {
      published.push(c);
      return Promise.resolve();
    },
    keepEvidence: (media) => {
      kept.push(media);
      return Promise.resolve();
    },
    verdictWaitMs: 60_000,
    maxMediaBytes: 1024,
    skipped: new Counter({
      name: 'skipped',
      help: 'skipped',
      labelNames: ['reason'],
      registers: [createRegistry('test')],
    }),
  });
  const message = (submissionId: string) =>
    step(uploadedMediaMessage({ topic: MEDIA_TOPIC, value: bytes, submissionId }));
  return { message, published, kept };
}

const heldForDisabled = { kind: 'dlq', code: 'MOD_ERR_TENANT_DISABLED' };

describe('classify step: the tenant standing when its result would open a case', () => {
  it('publishes the result of a tenant in standing (its risk asks for review)', async () => {
    const h = harness();
    const id = await scannedNoMatch();
    expect(await h.message(id)).toEqual({ kind: 'ok' });
    expect(h.published.map((c) => c.submissionId)).toEqual([id]);
    expect(h.kept.map((m) => m.submissionId)).toEqual([id]);
  });

  it('holds the result of a tenant disabled while the model ran: nothing kept, nothing published', async () => {
    const h = harness(() => setTenantDisabled(db.pool, 'platform-1', true));
    try {
      const id = await scannedNoMatch();
      expect(await h.message(id)).toMatchObject(heldForDisabled);
      expect(h.published).toEqual([]);
      expect(h.kept).toEqual([]);
    } finally {
      await setTenantDisabled(db.pool, 'platform-1', false);
    }
  });

  it('holds media of a tenant disabled after its verdict was recorded', async () => {
    const h = harness();
    const id = await scannedNoMatch();
    expect(await whileDisabled(db.pool, 'platform-1', () => h.message(id))).toMatchObject(heldForDisabled);
    expect(h.published).toEqual([]);
    // Enabled again (and the dead letter replayed): its result goes out.
    expect(await h.message(id)).toEqual({ kind: 'ok' });
    expect(h.published.map((c) => c.submissionId)).toEqual([id]);
  });
});
