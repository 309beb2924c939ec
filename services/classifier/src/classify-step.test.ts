import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deterministicUuid, type Classified } from '@mod/contracts';
import type { SubmissionScanState, TenantStanding } from '@mod/db/submissions';
import { Counter, createRegistry } from '@mod/telemetry';
import { uploadedMediaMessage } from '@mod/testing';
import { bytes, classificationOf, MEDIA_TOPIC, sha256 } from './classification.test-helper.js';
import {
  AWAITING_VERDICT,
  DIGEST_MISMATCH,
  MEDIA_TOO_LARGE,
  createClassifyStep,
  type ClassifyStepDeps,
} from './classify-step.js';
import type { ClassifyOutcome } from './media-classifier.js';

const classification = classificationOf(false);

const message = (o: { submissionId: string; tenantId?: string; timestamp?: number; value?: Buffer }) =>
  uploadedMediaMessage({ topic: MEDIA_TOPIC, value: bytes, ...o });

/** The tenants the harness knows (the scanner refuses media of others, of disabled ones and of wrong kinds). */
const standings = (): Map<string, TenantStanding> =>
  new Map([
    ['platform-1', { kind: 'platform', disabled: false }],
    ['platform-2', { kind: 'platform', disabled: false }],
  ]);

/** The step with an in-memory submissions table, a scripted classifier and a list of published results. */
function harness(
  states: Map<string, SubmissionScanState>,
  classify?: () => ClassifyOutcome,
  over: Partial<ClassifyStepDeps> = {},
  tenants = standings(),
) {
  const published: Classified[] = [];
  const classified: string[] = [];
  const skipped = new Counter({
    name: 'skipped',
    help: 'skipped',
    labelNames: ['reason'],
    registers: [createRegistry('test')],
  });
  const deps: ClassifyStepDeps = {
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: 'p.',
    scanState: (id) => Promise.resolve(states.get(id) ?? null),
    tenants: { get: (id) => Promise.resolve(tenants.get(id) ?? null) },
    classify: (digest) => {
      classified.push(digest);
      return Promise.resolve(classify?.() ?? { ok: true, classification });
    },
    publish: (c) => {
      published.push(c);
      return Promise.resolve();
    },
    verdictWaitMs: 60_000,
    pollBudgetMs: 50,
    pollIntervalMs: 5,
    maxMediaBytes: 1024,
    skipped,
    ...over,
  };
  const skips = async (reason: string) =>
    (await skipped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { step: createClassifyStep(deps), published, classified, skips };
}

const scanned = (over: Partial<SubmissionScanState> = {}): SubmissionScanState => ({
  tenantId: 'platform-1',
  status: 'scanned',
  decision: 'no-match',
  sha256,
  classifiedAt: null,
  ...over,
});

describe('classify step', () => {
  it('classifies media whose verdict matched nothing and publishes a result keyed by its submission', async () => {
    const id = randomUUID();
    const h = harness(new Map([[id, scanned()]]));
    expect(await h.step(message({ submissionId: id }))).toEqual({ kind: 'ok' });
    expect(h.classified).toEqual([sha256]);
    expect(h.published).toEqual([
      expect.objectContaining({
        eventId: deterministicUuid(`classified:${id}`),
        submissionId: id,
        tenantId: 'platform-1',
        sha256,
        classification,
      }),
    ]);
  });

  it('skips (and counts) media a list matched, a failed scan, and media classified before, without running the model', async () => {
    const [matched, failed, done] = [randomUUID(), randomUUID(), randomUUID()];
    const h = harness(
      new Map([
        [matched, scanned({ decision: 'match' })],
        [failed, scanned({ status: 'failed', decision: null })],
        [done, scanned({ classifiedAt: new Date().toISOString() })],
      ]),
    );
    for (const id of [matched, failed, done])
      expect(await h.step(message({ submissionId: id }))).toMatchObject({ kind: 'drop' });
    expect(h.classified).toEqual([]);
    expect(h.published).toEqual([]);
    expect([
      await h.skips('matched'),
      await h.skips('scan-failed'),
      await h.skips('already-classified'),
    ]).toEqual([1, 1, 1]);
  });

  it('waits for the verdict: retries while the submission is unscanned, gives up (counted) only after verdictWaitMs', async () => {
    const id = randomUUID();
    const states = new Map([[id, scanned({ status: 'received', decision: null })]]);
    const h = harness(states);
    const waiting = await h.step(message({ submissionId: id }));
    expect(waiting).toMatchObject({ kind: 'await', error: { code: AWAITING_VERDICT } });
    // The runner let its bytes go meanwhile: without them, it still awaits; once the verdict is there and the model
    // needs them, it asks for them to be read again.
    const released = { ...message({ submissionId: id }), value: null, valueReleased: true as const };
    expect(await h.step(released)).toMatchObject({ kind: 'await', error: { code: AWAITING_VERDICT } });
    states.set(id, scanned());
    expect(await h.step(released)).toEqual({ kind: 'reread' });
    expect(await h.step(message({ submissionId: id }))).toEqual({ kind: 'ok' });
    // A verdict that decides without the model needs no bytes read again.
    const matched = randomUUID();
    states.set(matched, scanned({ decision: 'match' }));
    const unread = { ...message({ submissionId: matched }), value: null, valueReleased: true as const };
    expect(await h.step(unread)).toMatchObject({ kind: 'drop' });
  });

  it('gives up (counted) on media with no verdict verdictWaitMs after it first read it', async () => {
    let clock = Date.now();
    // Each attempt looks once (no poll budget) at this clock.
    const h = harness(new Map(), undefined, { now: () => clock, pollBudgetMs: 0 });
    const never = message({ submissionId: randomUUID() });
    expect(await h.step(never)).toMatchObject({ kind: 'await', error: { code: AWAITING_VERDICT } });
    clock += 60_000;
    expect(await h.step(never)).toMatchObject({ kind: 'await' });
    clock += 1;
    const gaveUp = await h.step(never);
    expect(gaveUp.kind === 'drop' && gaveUp.reason).toMatch(/^no-verdict/);
    expect(await h.skips('no-verdict')).toBe(1);
  });

  it("waits for the verdict of media whose record timestamp is old (a partner's producer sets it)", async () => {
    // A platform's own topic: its producer chooses the record's timestamp (its event time, or a clock behind).
    // The scanner has not claimed the submission yet when the classifier first reads it.
    const id = randomUUID();
    const states = new Map<string, SubmissionScanState>();
    const h = harness(states);
    const stamped = message({ submissionId: id, timestamp: Date.now() - 2 * 60 * 60 * 1000 });
    expect(await h.step(stamped)).toMatchObject({ kind: 'await', error: { code: AWAITING_VERDICT } });
    states.set(id, scanned());
    expect(await h.step(stamped)).toEqual({ kind: 'ok' });
    expect(h.published.map((c) => c.submissionId)).toEqual([id]);
    expect(await h.skips('no-verdict')).toBe(0);
  });

  it("never classifies another tenant's submission named in a message, and does not wait for it", async () => {
    const id = randomUUID();
    const h = harness(new Map([[id, scanned({ tenantId: 'platform-2' })]]));
    expect(await h.step(message({ submissionId: id }))).toMatchObject({ kind: 'drop' });
    expect(h.classified).toEqual([]);
    expect(await h.skips('not-owned')).toBe(1);
  });

  it('dead-letters bytes that are not the content of the verdict, and bytes the model cannot read', async () => {
    const id = randomUUID();
    const h = harness(new Map([[id, scanned()]]));
    expect(await h.step(message({ submissionId: id, value: Buffer.from('other bytes') }))).toMatchObject({
      kind: 'dlq',
      code: DIGEST_MISMATCH,
    });
    const broken = harness(new Map([[id, scanned()]]), () => ({
      ok: false,
      error: { code: 'MOD_ERR_CLASSIFIER_DECODE', message: 'not an image', retriable: false },
    }));
    expect(await broken.step(message({ submissionId: id }))).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFIER_DECODE',
    });
    const busy = harness(new Map([[id, scanned()]]), () => ({
      ok: false,
      error: { code: 'MOD_ERR_CLASSIFIER_BACKEND_UNAVAILABLE', message: 'no backend', retriable: true },
    }));
    expect(await busy.step(message({ submissionId: id }))).toMatchObject({ kind: 'retry' });
  });

  it('drops (counted) a message that is not a media event; the scanner dead-letters it', async () => {
    const h = harness(new Map());
    const bad = { ...message({ submissionId: randomUUID() }), headers: {} };
    expect(await h.step(bad)).toMatchObject({ kind: 'drop' });
    expect(await h.skips('not-media')).toBe(1);
  });

  it('does not wait for media the scanner refuses for its tenant (unknown, disabled, wrong kind): skipped at once', async () => {
    // The scanner dead-letters such media without a verdict; waiting for one held a slot of the consumer (24 in
    // all) for CLASSIFIER_VERDICT_WAIT_MS, so a few messages of a disabled platform stopped every classification.
    const tenants = standings();
    tenants.set('platform-1', { kind: 'platform', disabled: true });
    tenants.set('isp-1', { kind: 'isp', disabled: false });
    const h = harness(new Map(), undefined, {}, tenants);
    for (const tenantId of ['platform-1', 'platform-9', 'isp-1']) {
      const refused = await h.step(message({ submissionId: randomUUID(), tenantId }));
      expect(refused.kind === 'drop' && refused.reason, tenantId).toMatch(/^tenant-refused: MOD_ERR_TENANT_/);
    }
    expect(await h.skips('tenant-refused')).toBe(3);
    // A platform in good standing still waits for its verdict.
    const waiting = await h.step(message({ submissionId: randomUUID(), tenantId: 'platform-2' }));
    expect(waiting).toMatchObject({ kind: 'await', error: { code: AWAITING_VERDICT } });
  });

  it('dead-letters media the scanner took but that is over its own MAX_MEDIA_BYTES, never classified unseen', async () => {
    // The scanner's limit raised above the classifier's: media scanned with no match, that no model would look at.
    const big = Buffer.alloc(2048, 1);
    const id = randomUUID();
    const h = harness(new Map([[id, scanned({ sha256: createHash('sha256').update(big).digest('hex') })]]));
    expect(await h.step(message({ submissionId: id, value: big }))).toMatchObject({
      kind: 'dlq',
      code: MEDIA_TOO_LARGE,
    });
    expect(h.classified).toEqual([]);
    expect(await h.skips('scan-failed')).toBe(0);
  });
});
