import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Codecs, type Classified, type Hit, type Verdict } from '@mod/contracts';
import type { ConsumedMessage } from '@mod/kafka';
import { defaultPolicy } from '@mod/policy';
import { Counter, createLogger } from '@mod/telemetry';
import { createActionStep } from './action-step.js';
import { createClassificationStep } from './classification-step.js';
import { createManualClock } from './clock.js';
import { memoryActionStore, type MemoryState } from './memory-action-store.test-helper.js';
import { classificationOf, verdictOf } from './verdicts.test-helper.js';

// The actioner's two steps on an in-memory store: every branch of policy (match, no match, negative bank,
// review bank, classifier), replays, refusals and outages. The same steps run on PostgreSQL in test/src.

const logger = createLogger('actioner-test', 'silent');
const at = new Date('2026-12-05T10:00:00Z');
/** A real counter, and its values by label value. */
function counter(label: string) {
  const c = new Counter({ name: `test_${label}_total`, help: 'test', labelNames: [label], registers: [] });
  const counts = async () =>
    Object.fromEntries((await c.get()).values.map((v) => [String(v.labels[label]), v.value]));
  return Object.assign(c, { counts });
}

function hit(o: Partial<Hit> = {}): Hit {
  return {
    bankId: 'known',
    bankName: 'Known material',
    entryId: '101',
    signal: 'pdq',
    distance: 4,
    category: 'A1',
    actionPolicy: 'automatic',
    negative: false,
    ...o,
  };
}

const message = (value: Buffer): ConsumedMessage => ({
  topic: 'mod.verdicts.v1',
  partition: 0,
  offset: '0',
  key: null,
  value,
  headers: {},
  timestamp: Date.now(),
});

function world(initial: Partial<MemoryState> = {}) {
  const mem = memoryActionStore({ subscribers: ['isp-a', 'isp-b'], ...initial });
  const orders = counter('kind');
  const classifications = counter('outcome');
  const clock = createManualClock(at);
  const action = createActionStep({
    store: mem.store,
    policy: defaultPolicy,
    orders,
    logger,
    clock,
    maxBatch: 8,
  });
  const classify = createClassificationStep({
    store: mem.store,
    policy: defaultPolicy,
    outcomes: classifications,
    logger,
    clock,
  });
  const submission = (tenantId = 'platform-1', source = 'kafka') => {
    const id = randomUUID();
    mem.state().submissions.set(id, {
      tenantId,
      source,
      status: 'received',
      decision: null,
      sha256: null,
      classifiedAt: null,
    });
    return id;
  };
  return {
    mem,
    orders,
    classifications,
    submission,
    act: (v: Verdict) => action(message(Codecs.verdict.encode(v))),
    actRaw: (value: Buffer) => action(message(value)),
    classify: (c: Classified) => classify(message(Codecs.classified.encode(c))),
    actions: () => mem.state().audit.map((r) => r.action),
  };
}

describe('action step', () => {
  it('a hit in an automatic bank: blocking orders to every subscribed ISP, a takedown to the host, a confirm case', async () => {
    const w = world({ platformHosts: new Map([['cdn.example', 'platform-9']]) });
    // Media the fetcher fetched at the URL (observed), so the takedown goes to whichever platform hosts it.
    const id = w.submission('platform-1', 'fetcher');
    const v = verdictOf(id, [hit()], { url: 'https://cdn.example/p/1.jpg' });
    expect(await w.act(v)).toEqual({ kind: 'ok' });
    const s = w.mem.state();
    expect(s.verdicts.get(v.eventId)).toEqual(v);
    expect(s.submissions.get(id)).toMatchObject({
      status: 'scanned',
      decision: 'match',
      sha256: v.hashes.sha256,
    });
    const orders = s.orders.map((o) => [
      o.order.kind,
      o.order.targetTenantId,
      o.order.subjectType,
      o.order.subjectValue,
    ]);
    expect(orders).toEqual([
      ['blocking', 'isp-a', 'content-hash', v.hashes.sha256],
      ['blocking', 'isp-b', 'content-hash', v.hashes.sha256],
      ['takedown', 'platform-9', 'url', 'https://cdn.example/p/1.jpg'],
    ]);
    for (const o of s.orders) {
      expect(o.order.deadlineAt).toEqual(new Date(at.getTime() + 24 * 3_600_000));
      expect(o.order.issuer).toEqual({ kind: 'policy', id: defaultPolicy.version, bankIds: ['known'] });
      expect(o.order.evidence).toMatchObject({ submissionId: id, sha256: v.hashes.sha256 });
    }
    expect(s.orders[2]!.order.verifyUrl).toBe('https://cdn.example/p/1.jpg');
    expect(s.announced).toEqual(s.orders.map((o) => o.id));
    expect(s.cases.map((c) => [c.input.kind, c.input.orderIds])).toEqual([
      ['confirm', s.orders.map((o) => o.id)],
    ]);
    expect(w.actions()).toEqual([
      'verdict.recorded',
      'order.issued',
      'order.issued',
      'order.issued',
      'case.opened',
    ]);
    expect(s.audit[0]).toMatchObject({ reason: 'block', subject: { type: 'submission', id } });
    expect(s.audit[1]).toMatchObject({ tenantId: 'isp-a', subject: { type: 'order', id: s.orders[0]!.id } });
    expect(await w.orders.counts()).toEqual({ blocking: 2, takedown: 1 });
  });

  it('no hit: the verdict is recorded and audited, nothing else', async () => {
    const w = world();
    const id = w.submission();
    expect(await w.act(verdictOf(id, []))).toEqual({ kind: 'ok' });
    expect(w.mem.state().submissions.get(id)).toMatchObject({ status: 'scanned', decision: 'no-match' });
    expect(w.mem.state().orders).toEqual([]);
    expect(w.mem.state().cases).toEqual([]);
    expect(w.mem.state().audit).toEqual([
      expect.objectContaining({ action: 'verdict.recorded', reason: 'none' }),
    ]);
  });

  it('a hit in a negative bank suppresses the automatic hit: no order, no case', async () => {
    const w = world();
    const id = w.submission();
    const v = verdictOf(id, [
      hit(),
      hit({ bankId: 'benign', entryId: '7', negative: true, actionPolicy: 'review' }),
    ]);
    expect(await w.act(v)).toEqual({ kind: 'ok' });
    expect(w.mem.state().orders).toEqual([]);
    expect(w.mem.state().cases).toEqual([]);
    expect(w.mem.state().audit[0]).toMatchObject({ reason: 'suppressed' });
  });

  it('a hit in a review bank: a review case for people, no order', async () => {
    const w = world();
    const id = w.submission();
    expect(await w.act(verdictOf(id, [hit({ actionPolicy: 'review', bankName: 'Suspected' })]))).toEqual({
      kind: 'ok',
    });
    expect(w.mem.state().orders).toEqual([]);
    expect(w.mem.state().cases.map((c) => [c.input.kind, c.input.reason])).toEqual([
      ['review', 'hit in review bank(s) Suspected'],
    ]);
    expect(w.actions()).toEqual(['verdict.recorded', 'case.opened']);
  });

  it('drops a replayed verdict, and folds another verdict on the same content into the open orders', async () => {
    const w = world();
    const id = w.submission();
    const v = verdictOf(id, [hit()]);
    await w.act(v);
    expect(await w.act(v)).toEqual({ kind: 'drop', reason: 'verdict already recorded' });
    // Another event about the same submission: its orders fold (no new order, announcement or order record).
    expect(await w.act({ ...v, eventId: randomUUID() })).toEqual({ kind: 'ok' });
    const s = w.mem.state();
    expect(s.orders).toHaveLength(2);
    expect(s.announced).toHaveLength(2);
    expect(s.cases).toHaveLength(1);
    expect(w.actions().filter((a) => a === 'order.issued')).toHaveLength(2);
    expect(w.actions().filter((a) => a === 'verdict.recorded')).toHaveLength(2);
  });

  it('dead-letters a verdict the store does not confirm, recording nothing', async () => {
    const w = world();
    const unknown = await w.act(verdictOf(randomUUID(), [hit()]));
    expect(unknown).toMatchObject({ kind: 'dlq', code: 'MOD_ERR_VERDICT_UNKNOWN_SUBMISSION' });
    const other = w.submission('platform-2');
    expect(await w.act(verdictOf(other, [hit()]))).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_VERDICT_TENANT_MISMATCH',
    });
    expect(w.mem.state().verdicts.size).toBe(0);
    expect(w.mem.state().audit).toEqual([]);
    // A message that is not a verdict is refused by the codec (the runner dead-letters it).
    const forged = { ...verdictOf(other, []), hits: [{ bankId: 'x' }] };
    await expect(w.actRaw(Buffer.from(JSON.stringify(forged)))).rejects.toMatchObject({ retriable: false });
  });

  it('an outage mid-transaction commits nothing and throws a retriable error; the retry acts once', async () => {
    const w = world();
    const id = w.submission();
    const v = verdictOf(id, [hit()]);
    w.mem.faults.failOn = 'announceOrder';
    const err = await w.act(v).catch((e: unknown) => e);
    expect(err).toMatchObject({ retriable: true });
    const s = w.mem.state();
    expect([s.verdicts.size, s.orders.length, s.announced.length, s.audit.length]).toEqual([0, 0, 0, 0]);
    expect(s.submissions.get(id)?.status).toBe('received');
    w.mem.faults.failOn = undefined;
    expect(await w.act(v)).toEqual({ kind: 'ok' });
    expect(w.mem.state().orders).toHaveLength(2);
    expect(w.mem.state().announced).toHaveLength(2);
  });
});

describe('group commit', () => {
  it('verdicts that arrive together share a transaction, each with its own outcome', async () => {
    const w = world();
    const verdicts = Array.from({ length: 6 }, () => verdictOf(w.submission(), [hit()]));
    const outcomes = await Promise.all(verdicts.map((v) => w.act(v)));
    expect(outcomes).toEqual(verdicts.map(() => ({ kind: 'ok' })));
    // The first runs at once, alone; the five that queued meanwhile share the next transaction.
    expect(w.mem.counts).toEqual({ transactions: 2, committed: 2 });
    expect(w.mem.state().orders).toHaveLength(12);
    expect(w.actions().filter((a) => a === 'verdict.recorded')).toHaveLength(6);
    expect(await w.orders.counts()).toEqual({ blocking: 12 });
  });

  it('a failing verdict fails alone: its batch is run again one verdict per transaction', async () => {
    const w = world();
    const verdicts = Array.from({ length: 5 }, () => verdictOf(w.submission(), [hit()]));
    w.mem.faults.failSubmission = verdicts[3]!.submissionId;
    const outcomes = await Promise.allSettled(verdicts.map((v) => w.act(v)));
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    // 1 alone, a batch of 4 rolled back, then 4 alone (3 committed).
    expect(w.mem.counts).toEqual({ transactions: 6, committed: 4 });
    const s = w.mem.state();
    expect(s.verdicts.size).toBe(4);
    expect(s.orders).toHaveLength(8);
    expect(await w.orders.counts()).toEqual({ blocking: 8 });
  });
});

describe('classification step', () => {
  async function scanned(w: ReturnType<typeof world>, hits: Hit[] = []) {
    const id = w.submission();
    const v = verdictOf(id, hits);
    await w.act(v);
    const c: Classified = {
      eventId: randomUUID(),
      submissionId: id,
      tenantId: 'platform-1',
      sha256: v.hashes.sha256,
      classification: classificationOf(0.92, true),
      classifiedAt: '2026-12-05T10:00:05.000Z',
      classifierVersion: 'classifier/0.1.0',
    };
    return { id, c };
  }

  it('a risky result for media that matched nothing: recorded once, audited, a review case', async () => {
    const w = world();
    const { id, c } = await scanned(w);
    expect(await w.classify(c)).toEqual({ kind: 'ok' });
    expect(w.mem.state().submissions.get(id)).toMatchObject({ classifiedAt: c.classifiedAt });
    expect(w.mem.state().cases.map((x) => [x.input.kind, x.input.reason])).toEqual([
      ['review', 'classifier risk 0.92 asks for review'],
    ]);
    expect(w.actions()).toEqual(['verdict.recorded', 'classification.recorded', 'case.opened']);
    expect(w.mem.state().audit[1]).toMatchObject({
      versions: { classifier: 'classifier/0.1.0' },
      evidence: { models: [{ id: 'nsfw', version: '1', sha256: 'ab'.repeat(32) }] },
    });
    expect(await w.classify(c)).toEqual({ kind: 'drop', reason: 'classification already recorded' });
    expect(await w.classifications.counts()).toEqual({ review: 1 });
  });

  it('a low risk is recorded without a case; a listed match keeps the list decision', async () => {
    const w = world();
    const low = await scanned(w);
    expect(await w.classify({ ...low.c, classification: classificationOf(0.1, false) })).toEqual({
      kind: 'ok',
    });
    const matched = await scanned(w, [hit()]);
    expect(await w.classify(matched.c)).toMatchObject({ kind: 'drop' });
    expect(w.mem.state().cases.map((x) => x.input.kind)).toEqual(['confirm']);
    expect(await w.classifications.counts()).toEqual({ none: 1, matched: 1 });
  });

  it('retries a result that overtook its verdict; dead-letters one naming another tenant or other content', async () => {
    const w = world();
    const early = w.submission();
    const { c } = await scanned(w);
    expect(await w.classify({ ...c, submissionId: early })).toMatchObject({ kind: 'retry' });
    expect(await w.classify({ ...c, tenantId: 'platform-2' })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFICATION_SUBMISSION_MISMATCH',
    });
    expect(await w.classify({ ...c, sha256: 'cd'.repeat(32) })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFICATION_SUBMISSION_MISMATCH',
    });
    expect(await w.classify({ ...c, submissionId: randomUUID() })).toMatchObject({
      kind: 'dlq',
      code: 'MOD_ERR_CLASSIFICATION_UNKNOWN_SUBMISSION',
    });
    w.mem.faults.failOn = 'audit';
    await expect(w.classify(c)).rejects.toMatchObject({ retriable: true });
    expect(w.mem.state().submissions.get(c.submissionId)?.classifiedAt).toBeNull();
  });
});
