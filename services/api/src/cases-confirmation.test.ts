import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { sweepEvidence } from '@mod/db/vault';
import { asPerson, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// A reviewer's confirmation moves the kept media onto the authority's confirmation case (trigger
// cases_evidence_follow); the authority's confirmation or withdrawal of that case's orders closes it, so the
// media's retention clock starts. Real PostgreSQL, real routes, people signed in.

let ana: SignedIn, officer1: SignedIn, officer2: SignedIn;

const { api, people, seedCase, claim, decide } = useReviewWorld(
  {},
  { people: ['ana', 'officer1', 'officer2'] },
);
beforeAll(() => ({ ana, officer1, officer2 } = people));

let blockingIsp = 'isp-1';
/**
 * Blocking orders are for the photo's hash, one open order per ISP: a fresh subscribed ISP (the only one) gives the
 * next confirmation a blocking order of its own instead of folding it into an earlier test's.
 */
async function freshBlockingIsp(): Promise<void> {
  await upsertTenant(api.db, {
    id: blockingIsp,
    kind: 'isp',
    name: 'ISP',
    subscribedToBlocking: false,
  });
  blockingIsp = `isp-${randomBytes(4).toString('hex')}`;
  await upsertTenant(api.db, {
    id: blockingIsp,
    kind: 'isp',
    name: 'ISP',
    subscribedToBlocking: true,
  });
}

/**
 * A review case the reviewer confirms (category A): its orders (a blocking order to the subscribed ISP, for the
 * photo's hash; a takedown to plat-1, for its own URL) and the authority's confirmation case.
 */
async function confirmedByReviewer(
  n: number,
): Promise<{ submissionId: string; orderIds: string[]; confirmCaseId: string }> {
  const { caseId, submissionId } = await seedCase({
    score: 0.96,
    url: `https://cdn.plat1.example/confirmation/${n}-${randomBytes(4).toString('hex')}.jpg`,
  });
  expect((await claim(ana, caseId)).statusCode).toBe(200);
  const decided = await decide(ana, caseId, {
    decision: 'confirm',
    category: 'A',
    reason: 'seen: abusive',
  });
  expect(decided.statusCode).toBe(200);
  const orderIds = decided.json<{ orderIds: string[] }>().orderIds.sort();
  expect(orderIds).toHaveLength(2);
  const { rows } = await api.db.query<{ id: string }>(
    `select id from cases where submission_id = $1 and kind = 'confirm'`,
    [submissionId],
  );
  const confirmCaseId = rows[0]?.id;
  if (confirmCaseId === undefined) throw new Error('no confirmation case opened');
  return { submissionId, orderIds, confirmCaseId };
}

const confirmCase = async (id: string) =>
  (
    await api.db.query<{ status: string; closed_at: Date | null; closed_by: string | null }>(
      `select status, closed_at, closed_by from cases where id = $1`,
      [id],
    )
  ).rows[0];
const keptMedia = async (submissionId: string) => {
  const [item] = await api.world.vault.list({ scope: { all: true }, submissionId, limit: 1 });
  if (item === undefined) throw new Error('no kept media');
  return item;
};
const closedRecords = async (caseId: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter(
    (r) => r.action === 'case.closed' && r.subject.id === caseId,
  );

describe("the authority's confirmation case of a reviewer's confirmation", () => {
  it('takes the kept media over, and closes once no order awaits the authority: the retention clock starts', async () => {
    await freshBlockingIsp();
    const { submissionId, orderIds, confirmCaseId } = await confirmedByReviewer(1);
    const [first, second] = orderIds as [string, string];
    // The media follows the reviewer's confirmation onto the authority's case: kept, no clock running.
    expect(await keptMedia(submissionId)).toMatchObject({ caseId: confirmCaseId, caseClosedAt: null });

    const confirmed = await asPerson(api.app, officer1, 'POST', `/v1/orders/${first}/confirm`, {});
    expect(confirmed.statusCode).toBe(200);
    // One order still awaits an authority: the case stays open, the media kept.
    expect(await confirmCase(confirmCaseId)).toMatchObject({ status: 'open', closed_at: null });
    expect((await keptMedia(submissionId)).caseClosedAt).toBeNull();
    expect(await closedRecords(confirmCaseId)).toEqual([]);

    const withdrawn = await asPerson(api.app, officer1, 'POST', `/v1/orders/${second}/withdraw`, {
      reason: 'the platform had it down before the order',
    });
    expect(withdrawn.statusCode).toBe(200);
    const closed = await confirmCase(confirmCaseId);
    expect(closed).toMatchObject({ status: 'closed', closed_by: `authority:auth-1:${officer1.personId}` });
    const media = await keptMedia(submissionId);
    expect(media).toMatchObject({ caseId: confirmCaseId, destroyedAt: null });
    expect(media.caseClosedAt).toBe(closed?.closed_at?.toISOString());
    const records = await closedRecords(confirmCaseId);
    expect(records.map((r) => [r.actor, r.role, r.tenantId])).toEqual([
      [{ kind: 'person', id: officer1.personId }, 'authority', 'auth-1'],
    ]);

    // The clock runs from the closing: destroyed once the retention after a case closes has passed, not before.
    const policy = { afterCaseClosedHours: 1, unlinkedHours: 24 * 365 };
    const closedAt = Date.parse(media.caseClosedAt ?? '');
    const sweep = (ms: number) =>
      sweepEvidence(api.db, {
        policy,
        now: new Date(closedAt + ms),
        by: { actor: { kind: 'service', id: 'actioner' }, role: null, tenantId: null },
        batchSize: 100,
      });
    expect((await sweep(3_600_000 - 1000)).ids).not.toContain(media.id);
    expect((await sweep(3_600_000 + 1000)).ids).toContain(media.id);
    expect((await keptMedia(submissionId)).destroyedAt).not.toBeNull();
  });

  it('closes once when two authorities settle its last two orders at the same time', async () => {
    for (let round = 0; round < 4; round++) {
      await freshBlockingIsp();
      const { submissionId, orderIds, confirmCaseId } = await confirmedByReviewer(100 + round);
      const [first, second] = orderIds as [string, string];
      const answers = await Promise.all([
        asPerson(api.app, officer1, 'POST', `/v1/orders/${first}/confirm`, {}),
        asPerson(api.app, officer2, 'POST', `/v1/orders/${second}/confirm`, {}),
      ]);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      expect((await confirmCase(confirmCaseId))?.status).toBe('closed');
      expect((await keptMedia(submissionId)).caseClosedAt).not.toBeNull();
      expect(await closedRecords(confirmCaseId)).toHaveLength(1);
    }
  });

  it('is not closed by commands that leave an order awaiting the authority', async () => {
    await freshBlockingIsp();
    const { submissionId, orderIds, confirmCaseId } = await confirmedByReviewer(200);
    const [first] = orderIds as [string, string];
    const paused = await asPerson(api.app, officer1, 'POST', `/v1/orders/${first}/pause`, {
      reason: 'asking',
    });
    expect(paused.statusCode).toBe(200);
    expect((await confirmCase(confirmCaseId))?.status).toBe('open');
    expect((await keptMedia(submissionId)).caseClosedAt).toBeNull();
  });

  it('counts an order an authority confirmed before (the same picture again) as settled', async () => {
    await freshBlockingIsp();
    const earlier = await confirmedByReviewer(300);
    for (const id of earlier.orderIds)
      expect((await asPerson(api.app, officer1, 'POST', `/v1/orders/${id}/confirm`, {})).statusCode).toBe(
        200,
      );
    // The same picture at another URL: its blocking order folds into the confirmed one, its takedown is new.
    const again = await confirmedByReviewer(301);
    const shared = again.orderIds.filter((id) => earlier.orderIds.includes(id));
    const fresh = again.orderIds.filter((id) => !earlier.orderIds.includes(id));
    expect([shared.length, fresh.length]).toEqual([1, 1]);
    expect((await confirmCase(again.confirmCaseId))?.status).toBe('open');
    const confirmed = await asPerson(api.app, officer2, 'POST', `/v1/orders/${fresh[0] ?? ''}/confirm`, {});
    expect(confirmed.statusCode).toBe(200);
    expect((await confirmCase(again.confirmCaseId))?.status).toBe('closed');
    expect((await keptMedia(again.submissionId)).caseClosedAt).not.toBeNull();
    expect((await closedRecords(again.confirmCaseId)).map((r) => r.actor)).toEqual([
      { kind: 'person', id: officer2.personId },
    ]);
  });

  it("once settled by one authority's confirmations, is out of every other authority's reach, media too", async () => {
    await freshBlockingIsp();
    const { orderIds, confirmCaseId } = await confirmedByReviewer(400);
    // Open, every authority may work it.
    expect((await asPerson(api.app, officer2, 'GET', `/v1/cases/${confirmCaseId}`)).statusCode).toBe(200);
    for (const id of orderIds)
      expect((await asPerson(api.app, officer1, 'POST', `/v1/orders/${id}/confirm`, {})).statusCode).toBe(
        200,
      );
    expect((await confirmCase(confirmCaseId))?.status).toBe('closed');
    // The orders are authority 1's now (another authority's answer 404); so are the case, its content and media.
    const other = (method: 'GET' | 'POST', path: string) =>
      asPerson(api.app, officer2, method, `/v1/cases/${confirmCaseId}${path}`);
    expect((await asPerson(api.app, officer2, 'GET', `/v1/orders/${orderIds[0]!}`)).statusCode).toBe(404);
    expect((await other('GET', '')).statusCode).toBe(404);
    expect((await other('GET', '/preview')).statusCode).toBe(404);
    expect((await other('POST', '/reveal')).statusCode).toBe(404);
    const listed = await asPerson(
      api.app,
      officer2,
      'GET',
      '/v1/cases?role=authority&status=decided&limit=100',
    );
    expect(listed.json<{ cases: { id: string }[] }>().cases.map((c) => c.id)).not.toContain(confirmCaseId);
    expect((await asPerson(api.app, officer1, 'GET', `/v1/cases/${confirmCaseId}`)).statusCode).toBe(200);
  });

  it('is not opened when every order it would name is settled already (the same picture at the same URL)', async () => {
    await freshBlockingIsp();
    const url = `https://cdn.plat1.example/confirmation/again-${randomBytes(4).toString('hex')}.jpg`;
    const first = await seedCase({ score: 0.96, url });
    expect((await claim(ana, first.caseId)).statusCode).toBe(200);
    const firstDone = await decide(ana, first.caseId, {
      decision: 'confirm',
      category: 'A',
      reason: 'abusive',
    });
    for (const id of firstDone.json<{ orderIds: string[] }>().orderIds)
      expect((await asPerson(api.app, officer1, 'POST', `/v1/orders/${id}/confirm`, {})).statusCode).toBe(
        200,
      );
    // Uploaded again: both orders fold into the confirmed ones, so no authority has anything left to confirm.
    const again = await seedCase({ score: 0.96, url });
    expect((await claim(ana, again.caseId)).statusCode).toBe(200);
    const done = await decide(ana, again.caseId, { decision: 'confirm', category: 'A', reason: 'abusive' });
    expect(done.json<{ orderIds: string[] }>().orderIds.sort()).toEqual(
      firstDone.json<{ orderIds: string[] }>().orderIds.sort(),
    );
    const { rows } = await api.db.query<{ status: string }>(
      `select status from cases where submission_id = $1 and kind = 'confirm'`,
      [again.submissionId],
    );
    // None open for ever in the authorities' queue; the kept media's retention clock runs.
    expect(rows.filter((r) => r.status === 'open')).toEqual([]);
    expect((await keptMedia(again.submissionId)).caseClosedAt).not.toBeNull();
  });
});
