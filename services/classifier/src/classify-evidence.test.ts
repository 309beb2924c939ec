import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER, ModError, type Classification } from '@mod/contracts';
import type { ConsumedMessage } from '@mod/kafka';
import { Counter, createRegistry } from '@mod/telemetry';
import { createKeeper, evidenceItemId, sha256Hex, VaultError, VaultErrorCode } from '@mod/vault';
import { createMemoryEvidenceStore } from '@mod/vault/testing';
import { createClassifyStep } from './classify-step.js';

// The classifier keeps media whose risk asks for review in the evidence vault before it publishes the result that
// opens the review case; other media costs nothing.

const MEDIA_TOPIC = 'p.mod.media-submitted.v2';
const photo = readFileSync(new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url));
const digest = sha256Hex(photo);
const classification = (reviewRequired: boolean): Classification => ({
  scores: {
    drawing: 0,
    hentai: 0,
    neutral: reviewRequired ? 0.1 : 0.9,
    porn: reviewRequired ? 0.8 : 0,
    sexy: 0.1,
  },
  apparentMinor: {
    probability: 0,
    flagged: false,
    facesEvaluated: false,
    ageThresholdYears: 18,
    probabilityThreshold: 0.5,
  },
  risk: { score: reviewRequired ? 0.85 : 0.1, reviewRequired, explanation: 'test' },
  models: [{ id: 'nsfw-mobilenet-v2', version: '1', sha256: 'x' }],
  backend: 'wasm',
  cached: false,
});

const message = (submissionId: string): ConsumedMessage => ({
  topic: MEDIA_TOPIC,
  partition: 0,
  offset: '0',
  key: submissionId,
  value: photo,
  headers: {
    [MEDIA_META_HEADER]: Buffer.from(
      JSON.stringify({
        eventId: randomUUID(),
        submissionId,
        tenantId: 'platform-1',
        source: 'api',
        submittedAt: new Date().toISOString(),
      }),
    ),
  },
  timestamp: Date.now(),
});

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
    classify: () => Promise.resolve({ ok: true, classification: classification(o.reviewRequired) }),
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
