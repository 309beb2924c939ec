import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModError } from '@mod/contracts';
import { Counter, createRegistry } from '@mod/telemetry';
import { uploadedMediaMessage } from '@mod/testing';
import { createKeeper, evidenceItemId, sha256Hex, VaultError, VaultErrorCode } from '@mod/vault';
import { createMemoryEvidenceStore } from '@mod/vault/testing';
import { classificationOf } from './classification.test-helper.js';
import { createClassifyStep } from './classify-step.js';

// The classifier keeps media whose risk asks for review in the evidence vault before it publishes the result that
// opens the review case; other media costs nothing.

const MEDIA_TOPIC = 'p.mod.media-submitted.v2';
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const digest = sha256Hex(photo);
const message = (submissionId: string) =>
  uploadedMediaMessage({ topic: MEDIA_TOPIC, submissionId, value: photo });

function harness(o: { reviewRequired: boolean; keep?: (media: unknown) => Promise<void> }) {
  const vault = createMemoryEvidenceStore();
  const keeper = createKeeper(vault, { service: 'classifier', reason: 'classifier' });
  const events: string[] = [];
  const step = createClassifyStep({
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    scanState: () =>
      Promise.resolve({
        tenantId: 'platform-1',
        status: 'scanned',
        decision: 'no-match',
        sha256: digest,
        classifiedAt: null,
      }),
    classify: () => Promise.resolve({ ok: true, classification: classificationOf(o.reviewRequired) }),
    publish: (c) => {
      events.push(`published ${c.submissionId}`);
      return Promise.resolve();
    },
    keepEvidence:
      o.keep ??
      (async (media) => {
        const kept = await keeper(media);
        events.push(`${kept.created ? 'kept' : 'found'} ${media.submissionId}`);
      }),
    tenants: { get: () => Promise.resolve({ kind: 'platform', disabled: false }) },
    verdictWaitMs: 60_000,
    maxMediaBytes: 1024 * 1024,
    skipped: new Counter({
      name: 'skipped',
      help: 'skipped',
      labelNames: ['reason'],
      registers: [createRegistry('test')],
    }),
  });
  return { step, vault, events };
}

const all = { all: true } as const;
const reviewer = { actor: { kind: 'user' as const, id: 'r' }, role: 'reviewer', tenantId: 'h' };

describe('classify step: evidence', () => {
  it('keeps media that needs review before publishing its result, once per submission', async () => {
    const h = harness({ reviewRequired: true });
    const id = randomUUID();
    expect(await h.step(message(id))).toEqual({ kind: 'ok' });
    expect(await h.step(message(id))).toEqual({ kind: 'ok' }); // a redelivery
    expect(h.events).toEqual([`kept ${id}`, `published ${id}`, `found ${id}`, `published ${id}`]);
    const item = await h.vault.get(evidenceItemId('platform-1', id), all);
    expect(item).toMatchObject({ sha256: digest, reason: 'classifier', tenantId: 'platform-1' });
    const opened = await h.vault.open(item!.id, { scope: all, by: reviewer, view: 'reveal', at: new Date() });
    expect(opened?.bytes.equals(photo)).toBe(true);
  });

  it('keeps nothing for media the risk policy lets through', async () => {
    const h = harness({ reviewRequired: false });
    const id = randomUUID();
    expect(await h.step(message(id))).toEqual({ kind: 'ok' });
    expect(h.events).toEqual([`published ${id}`]);
    expect(await h.vault.list({ scope: all, limit: 10 })).toEqual([]);
  });

  it('dead-letters (with the vault code) media that can never be kept, and retries an outage; nothing is published', async () => {
    const refused = harness({
      reviewRequired: true,
      keep: () => Promise.reject(new VaultError(VaultErrorCode.INVALID_ITEM, 'too large')),
    });
    expect(await refused.step(message(randomUUID()))).toEqual({
      kind: 'dlq',
      code: VaultErrorCode.INVALID_ITEM,
      message: 'too large',
    });
    const outage = harness({
      reviewRequired: true,
      keep: () =>
        Promise.reject(new ModError('MOD_ERR_DB_UNAVAILABLE', 'database away', { retriable: true })),
    });
    await expect(outage.step(message(randomUUID()))).rejects.toMatchObject({
      code: 'MOD_ERR_DB_UNAVAILABLE',
    });
    expect([...refused.events, ...outage.events]).toEqual([]);
  });
});
