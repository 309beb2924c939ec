import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Codecs, MEDIA_META_HEADER, deterministicUuid, type Verdict } from '@mod/contracts';
import type { SubmissionInput, TenantStanding } from '@mod/db/submissions';
import { HashingError, type HashMediaOptions, type HashTaskOutput, type MediaHashes } from '@mod/hashing';
import { hashMedia } from '@mod/hashing/decode';
import type { ConsumedMessage, StepOutcome } from '@mod/kafka';
import { BankMatcher } from '@mod/matcher';
import { Counter, createRegistry, createStepMetrics, stageTimer } from '@mod/telemetry';
import { interlaced16BitBomb } from '@mod/testing';
import type { BankMeta } from './bank-sync.js';
import { createScanStep, type ScanStepDeps } from './scan-step.js';
import type { ClaimedSubmission, ScanStore } from './scan-store.js';

// The scan step with an in-memory store and a real matcher, on real images (the hashing package's reference
// photos: the original of Meta's "bridge" set in a bank, its blurred copy as the upload, an unrelated photo).
const fixtures = new URL('../../../packages/hashing/fixtures/pdq/', import.meta.url);
const original = readFileSync(new URL('bridge-mods/aaa-orig.jpg', fixtures));
const blurredCopy = readFileSync(new URL('bridge-mods/blur-a-little.jpg', fixtures));
const unrelated = readFileSync(new URL('pen-and-coaster.png', fixtures));

const MEDIA_TOPIC = 'p.mod.media-submitted.v2';
const PREFIX = 'p.';

/** The hash task as the pool runs it: plain data, a typed failure for bad input. */
async function hashInProcess(bytes: Uint8Array, options: HashMediaOptions): Promise<HashTaskOutput> {
  try {
    return { ok: true, hashes: await hashMedia(bytes, options) };
  } catch (err) {
    if (!(err instanceof HashingError)) throw err;
    return { ok: false, error: { code: err.code, message: err.message, retriable: err.retriable } };
  }
}

const originalHashes: MediaHashes = await hashMedia(original);

interface StoredSubmission {
  tenantId: string;
  sha256: string | null;
  failed: string | null;
}

/** PostgreSQL's part of the step, in memory; a fault can be set per operation. */
function memoryStore(
  o: { tenants?: Record<string, TenantStanding>; categories?: Record<string, string> } = {},
) {
  const tenants: Record<string, TenantStanding> = o.tenants ?? {
    'platform-1': { kind: 'platform', disabled: false },
    'platform-2': { kind: 'platform', disabled: false },
    'isp-1': { kind: 'isp', disabled: false },
    'gone-1': { kind: 'platform', disabled: true },
  };
  const submissions = new Map<string, StoredSubmission>();
  const faults: { claim?: 'raced' | Error; markFailed?: Error; categories?: Error } = {};
  const store: ScanStore = {
    tenants: { get: async (id) => tenants[id] ?? null },
    async claimSubmission(s: SubmissionInput): Promise<ClaimedSubmission | null> {
      if (faults.claim === 'raced') return null;
      if (faults.claim) throw faults.claim;
      const existing = submissions.get(s.id);
      if (existing !== undefined)
        return { created: false, tenantId: existing.tenantId, sha256: existing.sha256 };
      submissions.set(s.id, { tenantId: s.tenantId, sha256: s.sha256 ?? null, failed: null });
      return { created: true, tenantId: s.tenantId, sha256: s.sha256 ?? null };
    },
    async markFailed(s, code) {
      if (faults.markFailed) throw faults.markFailed;
      const row = submissions.get(s.id);
      if (row !== undefined && row.tenantId === s.tenantId) row.failed = code;
    },
    async bindDigest(s, sha256) {
      const row = submissions.get(s.id);
      if (row === undefined || row.tenantId !== s.tenantId) return null;
      row.sha256 ??= sha256;
      return row.sha256;
    },
    async entryCategories(ids) {
      if (faults.categories) throw faults.categories;
      return new Map(ids.map((id) => [id, o.categories?.[id] ?? null]));
    },
  };
  return { store, submissions, faults };
}

/** A matcher holding the original's PDQ in bank `known` (automatic) and, when asked, in negative bank `benign`. */
function banksWith(o: { negative?: boolean; entries?: boolean } = {}) {
  const matcher = new BankMatcher();
  const metas = new Map<string, BankMeta>([
    ['known', { name: 'Known material', actionPolicy: 'automatic' }],
    ['benign', { name: 'Known benign', actionPolicy: 'review' }],
  ]);
  matcher.applyChange({
    type: 'bank-upserted',
    bank: { bankId: 'known', enabled: true, negative: false, thresholds: {} },
  });
  matcher.applyChange({
    type: 'bank-upserted',
    bank: { bankId: 'benign', enabled: true, negative: true, thresholds: {} },
  });
  if (o.entries !== false) {
    const bank = o.negative ? 'benign' : 'known';
    matcher.applyChange({
      type: 'entry-added',
      entry: { bankId: bank, entryId: '101', signal: 'pdq', value: originalHashes.pdq, quality: 100 },
    });
  }
  return { matcher: () => matcher, meta: (id: string) => metas.get(id) };
}

function harness(
  o: Pick<ScanStepDeps, 'maxDecodedBytes' | 'decodeMarks'> & {
    banks?: ScanStepDeps['banks'];
    store?: ReturnType<typeof memoryStore>;
  } = {},
) {
  const mem = o.store ?? memoryStore({ categories: { '101': 'A1' } });
  const published: Verdict[] = [];
  const registry = createRegistry('scanner-test');
  const metrics = createStepMetrics(registry);
  const hashCalls: number[] = [];
  const hashOptions: HashMediaOptions[] = [];
  let hashFault: HashTaskOutput | undefined;
  const deps: ScanStepDeps = {
    hash: async (bytes, options) => {
      hashCalls.push(bytes.byteLength);
      hashOptions.push(options);
      return hashFault ?? hashInProcess(bytes, options);
    },
    dihedral: true,
    ...(o.maxDecodedBytes === undefined ? {} : { maxDecodedBytes: o.maxDecodedBytes }),
    ...(o.decodeMarks === undefined ? {} : { decodeMarks: o.decodeMarks }),
    banks: o.banks ?? banksWith(),
    store: mem.store,
    publish: async (v) => {
      published.push(v);
    },
    mediaTopic: MEDIA_TOPIC,
    topicPrefix: PREFIX,
    maxMediaBytes: 5 * 1024 * 1024,
    hits: new Counter({ name: 'hits_total', help: 'h', labelNames: ['signal'], registers: [registry] }),
    stages: stageTimer(metrics, 'scan'),
    now: () => new Date('2026-12-05T10:00:00Z'),
  };
  const step = createScanStep(deps);
  return {
    step,
    published,
    mem,
    hashCalls,
    hashOptions,
    failHashWith: (out: HashTaskOutput | undefined) => (hashFault = out),
    stageCount: async (stage: string) => {
      const values = (await metrics.stages.get()).values;
      return values.find((v) => v.metricName?.endsWith('_count') && v.labels['stage'] === stage)?.value ?? 0;
    },
  };
}

function mediaMessage(
  value: Buffer,
  o: { tenantId?: string; submissionId?: string; topic?: string; source?: 'api' | 'fetcher' } = {},
): ConsumedMessage {
  const topic = o.topic ?? MEDIA_TOPIC;
  const eventId = randomUUID();
  const meta =
    topic === MEDIA_TOPIC
      ? {
          eventId,
          submissionId: o.submissionId ?? randomUUID(),
          tenantId: o.tenantId ?? 'platform-1',
          source: o.source ?? 'api',
          submittedAt: '2026-12-05T09:59:00Z',
        }
      : {
          eventId,
          submittedAt: '2026-12-05T09:59:00Z',
          ...(o.submissionId ? { submissionId: o.submissionId } : {}),
        };
  return {
    topic,
    partition: 0,
    offset: '0',
    key: null,
    value,
    headers: { [MEDIA_META_HEADER]: Buffer.from(JSON.stringify(meta)) },
    timestamp: Date.now(),
  };
}

const dlq = (code: string) => expect.objectContaining({ kind: 'dlq', code }) as StepOutcome;

describe('scan step (in-memory store, real hashes and matcher)', () => {
  it('matches a near copy of a bank image: verdict with the hit, its category and bank, no bytes', async () => {
    const h = harness();
    const m = mediaMessage(blurredCopy);
    expect(await h.step(m)).toEqual({ kind: 'ok' });
    expect(h.published).toHaveLength(1);
    const v = h.published[0]!;
    expect(v.decision).toBe('match');
    expect(v.hits).toEqual([
      expect.objectContaining({
        bankId: 'known',
        bankName: 'Known material',
        entryId: '101',
        signal: 'pdq',
        category: 'A1',
        actionPolicy: 'automatic',
        negative: false,
      }),
    ]);
    expect(v.hits[0]!.distance).toBeGreaterThan(0);
    expect(v.hits[0]!.distance).toBeLessThanOrEqual(31);
    expect(v.hashes.sha256).toBe(createHash('sha256').update(blurredCopy).digest('hex'));
    expect(JSON.stringify(v)).not.toContain(blurredCopy.subarray(0, 64).toString('base64'));
    // The verdict's id derives from the event's: a redelivery yields the same verdict.
    const header = JSON.parse(m.headers[MEDIA_META_HEADER]!.toString()) as { eventId: string };
    expect(v.eventId).toBe(deterministicUuid(`verdict:${header.eventId}`));
    expect(() => Codecs.verdict.encode(v)).not.toThrow();
    for (const stage of ['accept', 'claim', 'hash', 'match', 'publish'])
      expect(await h.stageCount(stage)).toBe(1);
  });

  it('finds nothing in unrelated media: a verdict without hits', async () => {
    const h = harness();
    expect(await h.step(mediaMessage(unrelated))).toEqual({ kind: 'ok' });
    expect(h.published[0]!.hits).toEqual([]);
    expect(h.published[0]!.decision).not.toBe('match');
  });

  it('reports a hit in a negative bank as negative (policy suppresses on it)', async () => {
    const h = harness({ banks: banksWith({ negative: true }) });
    expect(await h.step(mediaMessage(blurredCopy))).toEqual({ kind: 'ok' });
    expect(h.published[0]!.hits).toEqual([
      expect.objectContaining({ bankId: 'benign', negative: true, actionPolicy: 'review' }),
    ]);
  });

  it('creates the submission of media a platform published on its own topic, in that platform', async () => {
    const h = harness();
    const m = mediaMessage(unrelated, { topic: 'p.mod.media-submitted.v2.platform-2' });
    expect(await h.step(m)).toEqual({ kind: 'ok' });
    const v = h.published[0]!;
    expect(v.tenantId).toBe('platform-2');
    expect(h.mem.submissions.get(v.submissionId)).toMatchObject({ tenantId: 'platform-2' });
  });

  it.each([
    ['an unknown tenant', { tenantId: 'nobody' }, 'MOD_ERR_TENANT_UNKNOWN'],
    ['a disabled tenant', { tenantId: 'gone-1' }, 'MOD_ERR_TENANT_DISABLED'],
    ['an ISP sending media as the API', { tenantId: 'isp-1' }, 'MOD_ERR_TENANT_KIND'],
    ['a topic that is not a media topic', { topic: 'p.mod.verdicts.v1' }, 'MOD_ERR_SCAN_UNKNOWN_TOPIC'],
  ] as const)('dead-letters %s without hashing', async (_, o, code) => {
    const h = harness();
    expect(await h.step(mediaMessage(unrelated, o))).toEqual(dlq(code));
    expect(h.hashCalls).toEqual([]);
    expect(h.published).toEqual([]);
  });

  it("dead-letters an event naming another tenant's submission and leaves that submission alone", async () => {
    const h = harness();
    const submissionId = randomUUID();
    expect(await h.step(mediaMessage(unrelated, { submissionId, tenantId: 'platform-1' }))).toEqual({
      kind: 'ok',
    });
    // Its first scan recorded its content.
    const before = { ...h.mem.submissions.get(submissionId) };
    expect(before).toMatchObject({
      tenantId: 'platform-1',
      sha256: expect.any(String) as string,
      failed: null,
    });
    const m = mediaMessage(blurredCopy, { topic: 'p.mod.media-submitted.v2.platform-2', submissionId });
    expect(await h.step(m)).toEqual(dlq('MOD_ERR_SCAN_SUBMISSION_NOT_OWNED'));
    expect(h.mem.submissions.get(submissionId)).toEqual(before);
    expect(h.published).toHaveLength(1);
  });

  it('fails the submission of empty, oversized, undecodable or substituted media and dead-letters the event', async () => {
    const h = harness();
    const empty = mediaMessage(Buffer.alloc(0));
    expect(await h.step(empty)).toEqual(dlq('MOD_ERR_SCAN_EMPTY_MEDIA'));
    const big = mediaMessage(Buffer.alloc(5 * 1024 * 1024 + 1, 0xff));
    expect(await h.step(big)).toEqual(dlq('MOD_ERR_SCAN_MEDIA_TOO_LARGE'));
    const corrupt = mediaMessage(Buffer.concat([original.subarray(0, 300), Buffer.alloc(200, 0x41)]));
    const outcome = await h.step(corrupt);
    expect(outcome).toMatchObject({ kind: 'dlq', code: expect.stringMatching(/^MOD_ERR_HASH_/) as string });
    // Intake recorded another digest for this submission: the bytes are not what was submitted.
    const submissionId = randomUUID();
    h.mem.submissions.set(submissionId, { tenantId: 'platform-1', sha256: 'ab'.repeat(32), failed: null });
    expect(await h.step(mediaMessage(unrelated, { submissionId }))).toEqual(
      dlq('MOD_ERR_SCAN_DIGEST_MISMATCH'),
    );
    const failed = [...h.mem.submissions.values()].map((s) => s.failed).filter((f) => f !== null);
    expect(failed).toEqual([
      'MOD_ERR_SCAN_EMPTY_MEDIA',
      'MOD_ERR_SCAN_MEDIA_TOO_LARGE',
      (outcome as { code: string }).code,
      'MOD_ERR_SCAN_DIGEST_MISMATCH',
    ]);
    expect(h.published).toEqual([]);
  });

  it("refuses other media a platform sends under its submission, leaving the submission to its own media's scan", async () => {
    const h = harness();
    const submissionId = randomUUID();
    const topic = 'p.mod.media-submitted.v2.platform-1';
    // Its own media is still being scanned (not failed, no verdict yet): the other media must not fail it.
    h.mem.submissions.set(submissionId, { tenantId: 'platform-1', sha256: 'ab'.repeat(32), failed: null });
    expect(await h.step(mediaMessage(unrelated, { topic, submissionId }))).toEqual(
      dlq('MOD_ERR_SCAN_DIGEST_MISMATCH'),
    );
    expect(h.mem.submissions.get(submissionId)?.failed).toBeNull();
    expect(h.published).toEqual([]);
  });

  it("hashes a decode mark's bytes once: the pool takes the digest computed of them, never one recorded", async () => {
    const marked: string[] = [];
    const decodeMarks = {
      begin: async (sha256: string) => (marked.push(sha256), 0),
      beginAlone: async () => undefined,
      end: () => undefined,
    };
    const h = harness({ decodeMarks });
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // No digest recorded: the mark's, computed of the bytes, is the pool's, and the verdict's.
    expect(await h.step(mediaMessage(original))).toEqual({ kind: 'ok' });
    expect(h.hashOptions[0]?.sha256).toBe(sha(original));
    expect(h.published[0]?.hashes.sha256).toBe(sha(original));
    // Intake recorded another digest (the mark names it): the pool computes the bytes' own, which refuses them.
    const submissionId = randomUUID();
    h.mem.submissions.set(submissionId, { tenantId: 'platform-1', sha256: 'ab'.repeat(32), failed: null });
    expect(await h.step(mediaMessage(unrelated, { submissionId }))).toEqual(
      dlq('MOD_ERR_SCAN_DIGEST_MISMATCH'),
    );
    expect(h.hashOptions[1]?.sha256).toBeUndefined();
    // A platform's event: its bytes' own digest; naming a recorded one, refused before any mark or decode.
    const topic = 'p.mod.media-submitted.v2.platform-1';
    expect(await h.step(mediaMessage(unrelated, { topic, submissionId }))).toEqual(
      dlq('MOD_ERR_SCAN_DIGEST_MISMATCH'),
    );
    expect(await h.step(mediaMessage(unrelated, { topic }))).toEqual({ kind: 'ok' });
    expect(h.hashOptions[2]?.sha256).toBe(sha(unrelated));
    expect(marked).toEqual([sha(original), 'ab'.repeat(32), sha(unrelated)]);
  });

  it('fails the submission of media whose decode would not fit maxDecodedBytes, dead-letters it and goes on', async () => {
    // The header of a 10000×10000 16-bit interlaced RGBA PNG (1.2 GB to decode); its pixels are not decodable,
    // so this code can only come from the check before the decode.
    const attack = interlaced16BitBomb();
    const h = harness();
    const submissionId = randomUUID();
    expect(await h.step(mediaMessage(attack, { submissionId }))).toEqual(
      dlq('MOD_ERR_HASH_TOO_MANY_DECODED_BYTES'),
    );
    expect(h.mem.submissions.get(submissionId)?.failed).toBe('MOD_ERR_HASH_TOO_MANY_DECODED_BYTES');
    // The next message is scanned as usual.
    expect(await h.step(mediaMessage(blurredCopy))).toEqual({ kind: 'ok' });
    expect(h.published).toHaveLength(1);
    expect(h.published[0]!.hits).not.toEqual([]);
    // The setting reaches the decoder: a budget below an ordinary photo refuses it.
    const small = harness({ maxDecodedBytes: 1024 * 1024 });
    expect(await small.step(mediaMessage(unrelated))).toEqual(dlq('MOD_ERR_HASH_TOO_MANY_DECODED_BYTES'));
  });

  it('fails media whose decode times out again and again, so that it cannot hold its partition for ever', async () => {
    const h = harness();
    h.failHashWith({ ok: false, error: { code: 'MOD_ERR_HASH_TIMEOUT', message: 'slow', retriable: true } });
    const submissionId = randomUUID();
    const slow = mediaMessage(unrelated, { submissionId });
    expect(await h.step(slow)).toMatchObject({ kind: 'retry' });
    // The second timeout of the same media: its submission fails and the message is dead-lettered (replayable).
    expect(await h.step(slow)).toEqual(dlq('MOD_ERR_HASH_TIMEOUT'));
    expect(h.mem.submissions.get(submissionId)?.failed).toBe('MOD_ERR_HASH_TIMEOUT');
    // Other media timing out once is retried as before.
    expect(await h.step(mediaMessage(blurredCopy))).toMatchObject({ kind: 'retry' });
  });

  it('retries, never dead-letters, what an outage causes', async () => {
    const h = harness();
    h.mem.faults.claim = 'raced';
    expect(await h.step(mediaMessage(unrelated))).toMatchObject({ kind: 'retry' });
    h.mem.faults.claim = undefined;
    // A decoder timeout (retriable: a busy machine) is retried.
    h.failHashWith({ ok: false, error: { code: 'MOD_ERR_HASH_TIMEOUT', message: 'slow', retriable: true } });
    expect(await h.step(mediaMessage(unrelated))).toMatchObject({ kind: 'retry' });
    // Bad media whose failure cannot be recorded (database down) is retried, not dead-lettered half-reported.
    h.mem.faults.markFailed = new Error('connection refused');
    expect(await h.step(mediaMessage(Buffer.alloc(0)))).toMatchObject({ kind: 'retry' });
    h.mem.faults.markFailed = undefined;
    // A database error while claiming or reading categories surfaces as a throw (the runner retries it).
    h.failHashWith(undefined);
    h.mem.faults.categories = new Error('connection terminated');
    await expect(h.step(mediaMessage(blurredCopy))).rejects.toThrow('connection terminated');
    expect(h.published).toEqual([]);
    h.mem.faults.categories = undefined;
    expect(await h.step(mediaMessage(blurredCopy))).toEqual({ kind: 'ok' });
    expect(h.published).toHaveLength(1);
  });
});
