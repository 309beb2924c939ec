import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from './tenants.js';
import { createPerson } from './people.js';
import { insertSubmission } from './submissions.js';
import { openCase } from './order-cases.js';
import {
  claimReviewCase,
  closeReviewCase,
  getReviewCase,
  listReviewQueue,
  openEscalation,
  releaseReviewCase,
  reviewQueueStats,
  type CaseQueueQuery,
} from './review-cases.js';
import { decideBankProposal, getBankProposal, insertBankProposal } from './bank-proposals.js';
import {
  countExposure,
  exposureLimitsOn,
  countReveal,
  exposureOn,
  getReviewSettings,
  revealsOn,
  saveReviewSettings,
  recordExposureLimits,
  uncountExposure,
  uncountReveal,
} from './review-settings.js';
import { insertNegativeBank } from './bank-proposals.test-helper.js';
import { createTestSchema, type TestDatabase } from './testing.test-helper.js';

let db: TestDatabase;
const t0 = new Date('2026-03-01T00:00:00Z');
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);
const all = { scope: { all: true as const }, reviewDeadlineHours: 24 };

async function reviewCase(tenantId: string, createdAt: Date, evidence: unknown = {}, reason = 'suspected') {
  const submissionId = randomUUID();
  await insertSubmission(db.pool, {
    id: submissionId,
    tenantId,
    source: 'api',
    sha256: 'a'.repeat(64),
    bytes: 1,
  });
  const { id } = await openCase(db.pool, {
    kind: 'review',
    submissionId,
    orderIds: [],
    reason,
    evidence,
    policyVersion: 'p1',
    createdAt,
  });
  return id;
}

/** The people of these tests: their ids (staff accounts; the person columns reference them, migration 0020). */
const who = { ana: '', bao: '', an: '', cuc: '' };

beforeAll(async () => {
  db = await createTestSchema();
  for (const id of ['plat-a', 'plat-b'])
    await upsertTenant(db.pool, { id, kind: 'platform', name: id, subscribedToBlocking: false });
  for (const id of ['mic', 'other-authority'])
    await upsertTenant(db.pool, { id, kind: 'authority', name: id, subscribedToBlocking: false });
  await upsertTenant(db.pool, { id: 'hotline-h', kind: 'hotline', name: 'h', subscribedToBlocking: false });
  for (const [login, role] of [
    ['ana', 'reviewer'],
    ['bao', 'reviewer'],
    ['an', 'curator'],
    ['cuc', 'curator'],
  ] as const) {
    const made = await createPerson(db.pool, {
      tenantId: 'hotline-h',
      login: `p-${login}`,
      displayName: login,
      role,
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
      passwordExpiresAt: t0,
      createdBy: null,
    });
    if (!made.ok) throw new Error(`person ${login}: ${made.reason}`);
    who[login] = made.person.id;
  }
});
afterAll(async () => db?.drop());

describe('claims', () => {
  it('lets exactly one of two people racing for a case win, the winner renew, and another take over once expired', async () => {
    const id = await reviewCase('plat-a', t0);
    const claim = (who: string, at: Date) =>
      claimReviewCase(db.pool, id, {
        claimedBy: who,
        claimedAt: at,
        claimExpiresAt: new Date(at.getTime() + 60_000),
      });
    const results = await Promise.all([claim(who.ana, t0), claim(who.bao, t0)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results[0] ? who.ana : who.bao;
    const loser = winner === who.ana ? who.bao : who.ana;
    expect(await claim(winner, minutes(0.5))).toBe(true);
    expect(await claim(loser, minutes(1))).toBe(false);
    expect(await claim(loser, minutes(1.5))).toBe(true);
    expect((await getReviewCase(db.pool, id, all))?.claimedBy).toBe(loser);
  });

  it('releases only the holder’s live claim', async () => {
    const id = await reviewCase('plat-a', t0);
    await claimReviewCase(db.pool, id, { claimedBy: who.ana, claimedAt: t0, claimExpiresAt: minutes(30) });
    expect(await releaseReviewCase(db.pool, id, who.bao, minutes(1))).toBe(false);
    expect(await releaseReviewCase(db.pool, id, who.ana, minutes(31))).toBe(false);
    expect(await releaseReviewCase(db.pool, id, who.ana, minutes(1))).toBe(true);
    expect(await getReviewCase(db.pool, id, all)).toMatchObject({ claimedBy: null, claimExpiresAt: null });
  });
});

describe('closing', () => {
  it('closes only with the decider’s live claim, once, and keeps the decision, reason and person', async () => {
    const id = await reviewCase('plat-a', t0);
    await claimReviewCase(db.pool, id, { claimedBy: who.ana, claimedAt: t0, claimExpiresAt: minutes(30) });
    const orderId = randomUUID();
    const closing = {
      decision: 'confirm' as const,
      category: 'B' as const,
      reason: 'abusive',
      decidedBy: who.ana,
      decidedAt: minutes(5),
      closedBy: 'reviewer:hotline:p-ana',
      orderIds: [orderId],
    };
    expect(await closeReviewCase(db.pool, id, { ...closing, decidedBy: who.bao })).toBe(false);
    expect(await closeReviewCase(db.pool, id, { ...closing, decidedAt: minutes(31) })).toBe(false);
    expect(await closeReviewCase(db.pool, id, closing)).toBe(true);
    expect(await closeReviewCase(db.pool, id, closing)).toBe(false);
    expect(await getReviewCase(db.pool, id, all)).toMatchObject({
      status: 'closed',
      decision: 'confirm',
      category: 'B',
      decisionReason: 'abusive',
      decidedBy: who.ana,
      orderIds: [orderId],
      tenantId: 'plat-a',
    });
  });

  it('refuses a confirmation without a category (the table keeps decisions whole)', async () => {
    const id = await reviewCase('plat-a', t0);
    await claimReviewCase(db.pool, id, { claimedBy: who.ana, claimedAt: t0, claimExpiresAt: minutes(30) });
    await expect(
      closeReviewCase(db.pool, id, {
        decision: 'confirm',
        category: null,
        reason: 'x',
        decidedBy: who.ana,
        decidedAt: minutes(1),
        closedBy: 'x',
        orderIds: [],
      }),
    ).rejects.toMatchObject({ code: '23514' });
  });
});

describe('escalations and scope', () => {
  it('opens one escalation per content, addressed to an authority, which other authorities do not reach', async () => {
    const id = await reviewCase('plat-b', t0);
    const from = (await getReviewCase(db.pool, id, all))!;
    const e = {
      from,
      reason: 'unsure',
      authorityTenantId: 'mic',
      dueAt: minutes(600),
      createdAt: minutes(2),
    };
    const first = await openEscalation(db.pool, e);
    expect(first.created).toBe(true);
    expect(await openEscalation(db.pool, e)).toEqual({ id: first.id, created: false });
    const mine = { scope: { all: false as const, authorityTenantId: 'mic' }, reviewDeadlineHours: 24 };
    const theirs = {
      scope: { all: false as const, authorityTenantId: 'other-authority' },
      reviewDeadlineHours: 24,
    };
    expect(await getReviewCase(db.pool, first.id, mine)).toMatchObject({
      kind: 'escalation',
      escalatedFrom: id,
      tenantId: 'plat-b',
      dueAt: minutes(600),
    });
    expect(await getReviewCase(db.pool, first.id, theirs)).toBeNull();
    expect(await getReviewCase(db.pool, id, mine)).toBeNull();
  });
});

describe('the queue', () => {
  let q: Omit<CaseQueueQuery, 'limit'>;
  const ids: string[] = [];
  beforeAll(async () => {
    // A tenant of its own keeps this queue apart from the cases of the tests above.
    await upsertTenant(db.pool, { id: 'plat-q', kind: 'platform', name: 'q', subscribedToBlocking: false });
    const score = (s: number) => ({ classification: { riskScore: s }, hits: [] });
    ids.push(await reviewCase('plat-q', minutes(0), score(0.9), 'classifier risk 0.90 asks for review'));
    ids.push(await reviewCase('plat-q', minutes(10), score(0.75), 'classifier risk 0.75 asks for review'));
    ids.push(
      await reviewCase(
        'plat-q',
        minutes(20),
        { hits: [{ category: 'A' }] },
        'hit in review bank(s) suspected',
      ),
    );
    q = { ...all, kinds: ['review'], status: 'open', now: minutes(60), tenantId: 'plat-q' };
  });

  it('lists oldest first and pages by cursor', async () => {
    const page1 = await listReviewQueue(db.pool, { ...q, limit: 2 });
    expect(page1.map((c) => c.id)).toEqual(ids.slice(0, 2));
    const last = page1[1]!;
    const page2 = await listReviewQueue(db.pool, {
      ...q,
      limit: 2,
      after: { createdAt: last.createdAt, id: last.id },
    });
    expect(page2.map((c) => c.id)).toEqual(ids.slice(2));
  });

  it('filters by score, age, reason and category', async () => {
    const list = async (f: Partial<CaseQueueQuery>) =>
      (await listReviewQueue(db.pool, { ...q, limit: 10, ...f })).map((c) => ids.indexOf(c.id));
    expect(await list({ minScore: 0.8 })).toEqual([0]);
    expect(await list({ maxScore: 0.8 })).toEqual([1]);
    expect(await list({ minAgeMinutes: 45 })).toEqual([0, 1]);
    expect(await list({ maxAgeMinutes: 45 })).toEqual([2]);
    expect(await list({ reason: 'REVIEW BANK' })).toEqual([2]);
    expect(await list({ category: 'A' })).toEqual([2]);
    expect(await list({ category: 'B' })).toEqual([]);
    expect(await list({ tenantId: 'plat-a' })).not.toContain(0);
  });

  it('tells waiting from claimed cases', async () => {
    await claimReviewCase(db.pool, ids[1]!, {
      claimedBy: who.ana,
      claimedAt: minutes(59),
      claimExpiresAt: minutes(90),
    });
    const list = async (status: CaseQueueQuery['status']) =>
      (await listReviewQueue(db.pool, { ...q, status, limit: 10 })).map((c) => ids.indexOf(c.id));
    expect(await list('waiting')).toEqual([0, 2]);
    expect(await list('claimed')).toEqual([1]);
    expect(await list('decided')).toEqual([]);
  });

  it('counts open cases, the oldest and the overdue per kind', async () => {
    const stats = await reviewQueueStats(db.pool, minutes(24 * 60 + 5), 24);
    const review = stats.find((s) => s.kind === 'review')!;
    expect(review.open).toBeGreaterThanOrEqual(3);
    expect(review.oldestOpenAt).toEqual(t0);
    expect(review.overdue).toBeGreaterThanOrEqual(1);
    expect(stats.map((s) => s.kind)).toEqual(['confirm', 'escalation', 'review']);
  });
});

describe('bank proposals', () => {
  it('keeps one proposal per case and bank, and refuses the proposer deciding it, in the table too', async () => {
    const caseId = await reviewCase('plat-a', t0);
    const bank = await insertNegativeBank(db.pool);
    const p = {
      caseId,
      bankId: bank.id,
      tenantId: 'plat-a',
      entries: [{ signal: 'sha256' as const, value: 'a'.repeat(64), category: null }],
      note: null,
      proposedBy: who.ana,
      proposedAt: t0,
    };
    const first = await insertBankProposal(db.pool, p);
    expect(await insertBankProposal(db.pool, p)).toEqual({ id: first.id, created: false });
    const verdict = { status: 'approved' as const, decidedAt: minutes(1), reason: null, entryIds: ['5'] };
    expect(await decideBankProposal(db.pool, first.id, { ...verdict, decidedBy: who.ana })).toBe(false);
    await expect(
      db.pool.query(
        `update bank_proposals set status = 'approved', decided_by = proposed_by, decided_at = now()`,
      ),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await decideBankProposal(db.pool, first.id, { ...verdict, decidedBy: who.an })).toBe(true);
    expect(await decideBankProposal(db.pool, first.id, { ...verdict, decidedBy: who.cuc })).toBe(false);
    expect(await getBankProposal(db.pool, first.id)).toMatchObject({
      status: 'approved',
      proposedBy: who.ana,
      decidedBy: who.an,
      entryIds: ['5'],
    });
  });
});

describe('review settings and exposure', () => {
  it('keeps a person’s settings and counts reveals per day', async () => {
    expect(await getReviewSettings(db.pool, who.ana)).toBeNull();
    await saveReviewSettings(db.pool, who.ana, { previewBlur: false, previewMaxSide: 128 }, t0);
    expect(await getReviewSettings(db.pool, who.ana)).toEqual({ previewBlur: false, previewMaxSide: 128 });
    await expect(
      saveReviewSettings(db.pool, who.ana, { previewBlur: true, previewMaxSide: 4096 }, t0),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await revealsOn(db.pool, who.ana, '2026-03-01')).toBe(0);
    expect(await countReveal(db.pool, who.ana, '2026-03-01')).toBe(1);
    expect(await countReveal(db.pool, who.ana, '2026-03-01')).toBe(2);
    expect(await countReveal(db.pool, who.ana, '2026-03-02')).toBe(1);
    expect(await revealsOn(db.pool, who.ana, '2026-03-01')).toBe(2);
  });

  it('counts a reveal only under the limit, even when many race for the last one, and gives one back', async () => {
    const day = '2026-04-01';
    const counted = await Promise.all(Array.from({ length: 6 }, () => countReveal(db.pool, who.ana, day, 2)));
    expect(counted.filter((n) => n === null)).toHaveLength(4);
    expect(counted.filter((n) => n !== null).sort()).toEqual([1, 2]);
    expect(await revealsOn(db.pool, who.ana, day)).toBe(2);
    await uncountReveal(db.pool, who.ana, day);
    expect(await countReveal(db.pool, who.ana, day, 2)).toBe(2);
    // No limit (0): every reveal counts.
    expect(await countReveal(db.pool, who.ana, day, 0)).toBe(3);
  });

  it('counts previews beside reveals, under a limit of their own, even when many race for the last one', async () => {
    const day = '2026-04-02';
    expect(await countReveal(db.pool, who.ana, day, 1)).toBe(1);
    const counted = await Promise.all(
      Array.from({ length: 6 }, () => countExposure(db.pool, 'previews', who.ana, day, 4)),
    );
    expect(counted.filter((n) => n !== null).sort()).toEqual([1, 2, 3, 4]);
    expect(await exposureOn(db.pool, who.ana, day)).toEqual({ reveals: 1, previews: 4 });
    await uncountExposure(db.pool, 'previews', who.ana, day);
    expect(await exposureOn(db.pool, who.ana, day)).toEqual({ reveals: 1, previews: 3 });
    expect(await exposureOn(db.pool, who.ana, '2026-04-03')).toEqual({ reveals: 0, previews: 0 });
  });

  it('records the limits in force on a day, the latest when they change during it, none for other days', async () => {
    const day = '2026-04-04';
    const limits = (r: number, p: number) => ({ dailyRevealLimit: r, dailyPreviewLimit: p });
    expect(await exposureLimitsOn(db.pool, day)).toBeNull();
    await Promise.all(Array.from({ length: 4 }, () => recordExposureLimits(db.pool, day, limits(3, 20), t0)));
    expect(await exposureLimitsOn(db.pool, day)).toEqual(limits(3, 20));
    // A setting changed during the day: the day's limits are the new ones from then on.
    const later = new Date(t0.getTime() + 3_600_000);
    await recordExposureLimits(db.pool, day, limits(0, 10), later);
    expect(await exposureLimitsOn(db.pool, day)).toEqual(limits(0, 10));
    const { rows } = await db.pool.query<{ recorded_at: Date }>(
      `select recorded_at from review_exposure_limits where day = $1::date`,
      [day],
    );
    expect(rows.map((r) => r.recorded_at.getTime())).toEqual([later.getTime()]);
    expect(await exposureLimitsOn(db.pool, '2026-04-05')).toBeNull();
  });
});
