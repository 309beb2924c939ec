import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '@mod/telemetry';
import { listAudit } from '@mod/db/audit';
import { listLiveEntries } from '@mod/db/banks';
import { asPerson, photoSha256, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

let offsetMs = 0;
/** The API's metrics (served on its ops server, never on the app). */
const registry = createRegistry('api');
let ana: SignedIn, bao: SignedIn, curator: SignedIn, officer1: SignedIn, officer2: SignedIn;

const { api, people, seedCase, reviewBank, negativeBank, claim, decide } = useReviewWorld(
  { reviewer: ['hotline-1', 'reviewer'], platform: ['plat-1', 'platform'] },
  {
    people: ['ana', 'bao', 'curator', 'officer1', 'officer2'],
    tenants: [{ id: 'isp-1', kind: 'isp', name: 'ISP' }],
    build: () => ({
      registry,
      now: () => new Date(Date.now() + offsetMs),
      people: { idleTimeoutMs: 7 * 24 * 3_600_000 },
    }),
  },
);
beforeAll(() => ({ ana, bao, curator, officer1, officer2 } = people));

const seed = (score = 0.9, url = 'https://cdn.plat1.example/p/1.jpg') => seedCase({ score, url });
/** A known-benign bank of both hashes a review proposes (sha256, pdq), its hits sent to review. */
const benignBank = (name: string) =>
  negativeBank(name, { signalTypes: ['sha256', 'pdq'], actionPolicy: 'review' });
const records = async (action: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter((r) => r.action === action);

describe('the queue and a case', () => {
  it('lists open review cases oldest first with scores, filters them, and shows one with its evidence', async () => {
    const high = await seed(0.95);
    const low = await seed(0.72);
    const page = await asPerson(api.app, ana, 'GET', '/v1/cases?tenantId=plat-1&limit=100');
    expect(page.statusCode).toBe(200);
    const ids = page.json<{ cases: { id: string }[] }>().cases.map((c) => c.id);
    expect(ids.indexOf(high.caseId)).toBeLessThan(ids.indexOf(low.caseId));
    const filtered = await asPerson(api.app, ana, 'GET', '/v1/cases?tenantId=plat-1&minScore=0.9&limit=100');
    const found = filtered.json<{ cases: { id: string; riskScore: number }[] }>().cases;
    expect(found.map((c) => c.id)).toContain(high.caseId);
    expect(found.map((c) => c.id)).not.toContain(low.caseId);
    expect(found.every((c) => c.riskScore >= 0.9)).toBe(true);

    const one = await asPerson(api.app, ana, 'GET', `/v1/cases/${high.caseId}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      case: { id: high.caseId, kind: 'review', stage: 'open', tenantId: 'plat-1', riskScore: 0.95 },
      submission: {
        id: high.submissionId,
        sha256: photoSha256,
        scannerVersion: 'scanner-test-1',
        hashes: { pdq: 'c'.repeat(64) },
        classification: { models: [{ id: 'nsfw', version: 'nsfwjs-2.4.2' }], risk: { score: 0.95 } },
      },
      media: { state: 'in-case', mediaType: 'image/jpeg', legalHold: false },
    });
  });

  it('pages with a cursor, and refuses one it did not make', async () => {
    await seed();
    await seed();
    const first = await asPerson(api.app, ana, 'GET', '/v1/cases?tenantId=plat-1&limit=1');
    const { cases, nextCursor } = first.json<{ cases: { id: string }[]; nextCursor: string }>();
    const second = await asPerson(
      api.app,
      ana,
      'GET',
      `/v1/cases?tenantId=plat-1&limit=1&cursor=${nextCursor}`,
    );
    expect(second.json<{ cases: { id: string }[] }>().cases[0]?.id).not.toBe(cases[0]?.id);
    expect(statusAndCode(await asPerson(api.app, ana, 'GET', '/v1/cases?cursor=bm90LWEtY3Vyc29y'))).toEqual([
      400,
      'MOD_ERR_API_BAD_CURSOR',
    ]);
  });

  it('refuses a forged cursor the database cannot read as a cursor (400), never a failing query (500)', async () => {
    const id = '0b8e2f4c-1d2a-4f6b-9c3e-5a7d8e9f0a1b';
    const forged = [
      `-271821-04-20T00:00:00.000Z|${id}`,
      `+275760-09-13T00:00:00.000Z|${id}`,
      `Jan 1 2020 (x)|${id}`,
      `2026-13-01T00:00:00.000Z|${id}`,
      `2026-03-01T10:00:00.123Z|${'-'.repeat(36)}`,
      `2026-03-01T10:00:00.123Z|not-a-uuid`,
    ];
    for (const list of ['/v1/cases', '/v1/bank-proposals'])
      for (const position of forged) {
        const cursor = Buffer.from(position).toString('base64url');
        expect([
          list,
          position,
          ...statusAndCode(await asPerson(api.app, ana, 'GET', `${list}?cursor=${cursor}`)),
        ]).toEqual([list, position, 400, 'MOD_ERR_API_BAD_CURSOR']);
      }
  });

  it('is read by machines of the reviewer role, never by other roles', async () => {
    expect((await api.call(api.keys.reviewer, 'GET', '/v1/cases')).statusCode).toBe(200);
    expect(statusAndCode(await api.call(api.keys.platform, 'GET', '/v1/cases'))).toEqual([
      403,
      'MOD_ERR_API_FORBIDDEN',
    ]);
  });
});

describe('claims', () => {
  it('are for people: a machine key of the reviewer role gets a coded 403', async () => {
    const { caseId } = await seed();
    expect(statusAndCode(await api.call(api.keys.reviewer, 'POST', `/v1/cases/${caseId}/claim`))).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
  });

  it('let one reviewer hold a case; the other can neither claim nor decide it until it is released', async () => {
    const { caseId } = await seed();
    const claimed = await claim(ana, caseId);
    expect(claimed.statusCode).toBe(200);
    expect(claimed.json()).toMatchObject({ stage: 'claimed', claimedBy: ana.personId });
    expect(statusAndCode(await claim(bao, caseId))).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    expect(
      statusAndCode(await decide(bao, caseId, { decision: 'dismiss', reason: 'benign beach photo' })),
    ).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    expect(statusAndCode(await asPerson(api.app, bao, 'POST', `/v1/cases/${caseId}/release`))).toEqual([
      409,
      'MOD_ERR_API_CASE_CLAIMED',
    ]);
    const released = await asPerson(api.app, ana, 'POST', `/v1/cases/${caseId}/release`);
    expect(released.json()).toMatchObject({ stage: 'open', claimedBy: null });
    expect((await claim(bao, caseId)).statusCode).toBe(200);
    expect(
      (await records('case.claimed')).filter((r) => r.subject.id === caseId).map((r) => r.actor),
    ).toEqual([
      { kind: 'person', id: ana.personId },
      { kind: 'person', id: bao.personId },
    ]);
  });

  it('of two people racing for a case, exactly one wins', async () => {
    const { caseId } = await seed();
    const answers = await Promise.all([claim(ana, caseId), claim(bao, caseId)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
  });

  it('expire: the claimer must claim again, and anyone may take an expired case', async () => {
    const { caseId } = await seed();
    await claim(ana, caseId);
    offsetMs += 31 * 60_000;
    expect(statusAndCode(await decide(ana, caseId, { decision: 'dismiss', reason: 'late' }))).toEqual([
      409,
      'MOD_ERR_API_CASE_NOT_CLAIMED',
    ]);
    expect((await claim(bao, caseId)).statusCode).toBe(200);
  });
});

describe('decisions', () => {
  it('confirm: orders issue through policy, a confirmation case opens, and the audit log names the reviewer', async () => {
    const { caseId, submissionId } = await seed(0.97, 'https://cdn.plat1.example/p/confirm.jpg');
    await claim(ana, caseId);
    expect(statusAndCode(await decide(ana, caseId, { decision: 'confirm', reason: 'abuse' }))).toEqual([
      400,
      'MOD_ERR_API_DECISION_INVALID',
    ]);
    const done = await decide(ana, caseId, { decision: 'confirm', category: 'A', reason: 'seen: abusive' });
    expect(done.statusCode).toBe(200);
    const body = done.json<{ case: { orderIds: string[] }; orderIds: string[] }>();
    expect(body).toMatchObject({
      case: {
        status: 'closed',
        stage: 'decided',
        decision: 'confirm',
        category: 'A',
        decidedBy: ana.personId,
      },
    });
    expect(body.orderIds).toHaveLength(2);
    expect(body.case.orderIds.sort()).toEqual([...body.orderIds].sort());

    const orders = await api.db.query<{ kind: string; target_tenant_id: string; issuer: unknown }>(
      `select kind, target_tenant_id, issuer from orders where id = any($1) order by kind`,
      [body.orderIds],
    );
    expect(orders.rows.map((o) => [o.kind, o.target_tenant_id, (o.issuer as { kind: string }).kind])).toEqual(
      [
        ['blocking', 'isp-1', 'policy'],
        ['takedown', 'plat-1', 'policy'],
      ],
    );
    const outbox = await api.db.query(`select 1 from outbox where key = any($1)`, [body.orderIds]);
    expect(outbox.rowCount).toBeGreaterThanOrEqual(2);
    const issued = (await records('order.issued')).filter((r) => body.orderIds.includes(r.subject.id));
    expect(issued.map((r) => [r.actor, r.role])).toEqual([
      [{ kind: 'person', id: ana.personId }, 'reviewer'],
      [{ kind: 'person', id: ana.personId }, 'reviewer'],
    ]);
    const confirmed = (await records('case.confirmed')).find((r) => r.subject.id === caseId);
    expect(confirmed).toMatchObject({ actor: { kind: 'person', id: ana.personId }, reason: 'seen: abusive' });

    const queue = await asPerson(api.app, officer1, 'GET', '/v1/cases?role=authority&kind=confirm&limit=100');
    const confirmCase = queue
      .json<{ cases: { submissionId: string; orderIds: string[] }[] }>()
      .cases.find((c) => c.submissionId === submissionId);
    expect(confirmCase?.orderIds.sort()).toEqual([...body.orderIds].sort());
    expect(statusAndCode(await decide(ana, caseId, { decision: 'dismiss', reason: 'again' }))).toEqual([
      409,
      'MOD_ERR_API_CASE_CLOSED',
    ]);
  });

  it('dismiss with a negative-bank proposal: another person, a curator, approves; the proposer never', async () => {
    const { bank } = await benignBank('known-benign');
    const { bank: positive } = await reviewBank({
      name: 'confirmed',
      signalTypes: ['sha256'],
      actionPolicy: 'automatic',
    });
    const { caseId } = await seed(0.71);
    await claim(ana, caseId);
    expect(
      statusAndCode(
        await decide(ana, caseId, { decision: 'dismiss', reason: 'benign', proposeToBankId: positive.id }),
      ),
    ).toEqual([400, 'MOD_ERR_API_DECISION_INVALID']);
    const done = await decide(ana, caseId, {
      decision: 'dismiss',
      reason: 'a family beach photo',
      proposeToBankId: bank.id,
      proposalNote: 'false positive',
    });
    expect(done.statusCode).toBe(200);
    const { proposalId, orderIds } = done.json<{ proposalId: string; orderIds: string[] }>();
    expect(orderIds).toEqual([]);

    // Two people, never one: the proposer (a reviewer) may not approve; a curator who proposed may not either.
    expect(
      statusAndCode(await asPerson(api.app, ana, 'POST', `/v1/bank-proposals/${proposalId}/approve`)),
    ).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    const again = await asPerson(api.app, curator, 'POST', `/v1/cases/${caseId}/proposals`, {
      bankId: bank.id,
    });
    expect(statusAndCode(again)).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    const other = await seed(0.7);
    await claim(bao, other.caseId);
    await decide(bao, other.caseId, { decision: 'dismiss', reason: 'benign too' });
    const byCurator = await asPerson(api.app, curator, 'POST', `/v1/cases/${other.caseId}/proposals`, {
      bankId: bank.id,
    });
    expect(byCurator.statusCode).toBe(201);
    const curatorsOwn = byCurator.json<{ id: string }>().id;
    expect(
      statusAndCode(await asPerson(api.app, curator, 'POST', `/v1/bank-proposals/${curatorsOwn}/approve`)),
    ).toEqual([403, 'MOD_ERR_API_SAME_PERSON']);

    const approved = await asPerson(api.app, curator, 'POST', `/v1/bank-proposals/${proposalId}/approve`, {
      reason: 'checked',
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      proposedBy: ana.personId,
      decidedBy: curator.personId,
    });
    const live = (await listLiveEntries(api.db)).filter((e) => e.bankId === bank.id);
    expect(live.map((e) => [e.signal, e.value]).sort()).toEqual([
      ['pdq', 'c'.repeat(64)],
      ['sha256', photoSha256],
    ]);
    expect(
      statusAndCode(
        await asPerson(api.app, curator, 'POST', `/v1/bank-proposals/${proposalId}/reject`, { reason: 'x' }),
      ),
    ).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    expect((await records('bank_proposal.approved')).find((r) => r.subject.id === proposalId)?.actor).toEqual(
      {
        kind: 'person',
        id: curator.personId,
      },
    );
  });

  it("never proposes blank media's perceptual hash (every bit 0 or 1) for a bank: it would match every blank upload", async () => {
    const { bank } = await benignBank('benign-blank');
    const { caseId, submissionId } = await seed(0.7);
    await api.db.query(
      `update verdicts set hashes = hashes || '{"pdq": "${'0'.repeat(64)}"}' where submission_id = $1`,
      [submissionId],
    );
    await claim(bao, caseId);
    const done = await decide(bao, caseId, {
      decision: 'dismiss',
      reason: 'blank',
      proposeToBankId: bank.id,
    });
    expect(done.statusCode, done.body).toBe(200);
    const proposal = await asPerson(
      api.app,
      curator,
      'GET',
      `/v1/bank-proposals/${done.json<{ proposalId: string }>().proposalId}`,
    );
    expect(proposal.json<{ entries: { signal: string }[] }>().entries.map((e) => e.signal)).toEqual([
      'sha256',
    ]);
  });

  it('escalate: the addressed authority sees and decides it; another authority gets 404', async () => {
    const { caseId } = await seed(0.8);
    await claim(ana, caseId);
    const done = await decide(ana, caseId, {
      decision: 'escalate',
      reason: 'age unclear',
      authorityTenantId: 'auth-1',
    });
    expect(done.statusCode).toBe(200);
    const { escalationId } = done.json<{ escalationId: string }>();
    expect(done.json()).toMatchObject({ case: { decision: 'escalate', status: 'closed' } });

    const mine = await asPerson(api.app, officer1, 'GET', '/v1/cases?limit=100');
    expect(mine.json<{ cases: { id: string }[] }>().cases.map((c) => c.id)).toContain(escalationId);
    const theirs = await asPerson(api.app, officer2, 'GET', '/v1/cases?limit=100');
    expect(theirs.json<{ cases: { id: string }[] }>().cases.map((c) => c.id)).not.toContain(escalationId);
    expect(statusAndCode(await asPerson(api.app, officer2, 'GET', `/v1/cases/${escalationId}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(statusAndCode(await claim(officer2, escalationId))).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    // An authority never reaches the reviewers' case it came from.
    expect(statusAndCode(await asPerson(api.app, officer1, 'GET', `/v1/cases/${caseId}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    // Reviewers see it, but do not decide it.
    expect(statusAndCode(await claim(ana, escalationId))).toEqual([403, 'MOD_ERR_API_CASE_NOT_YOURS']);

    await claim(officer1, escalationId);
    expect(
      statusAndCode(await decide(officer1, escalationId, { decision: 'escalate', reason: 'again' })),
    ).toEqual([400, 'MOD_ERR_API_DECISION_INVALID']);
    const decided = await decide(officer1, escalationId, { decision: 'dismiss', reason: 'an adult' });
    expect(decided.json()).toMatchObject({ case: { decision: 'dismiss', decidedBy: officer1.personId } });
  });

  it('an authority confirming its escalation issues the orders in its own name, with no confirmation case', async () => {
    const { caseId, submissionId } = await seed(0.85, 'https://cdn.plat1.example/p/escalated.jpg');
    await claim(bao, caseId);
    const escalated = await decide(bao, caseId, { decision: 'escalate', reason: 'needs an officer' });
    const { escalationId } = escalated.json<{ escalationId: string }>();
    await claim(officer2, escalationId);
    const done = await decide(officer2, escalationId, {
      decision: 'confirm',
      category: 'B',
      reason: 'confirmed',
    });
    const { orderIds } = done.json<{ orderIds: string[] }>();
    const orders = await api.db.query<{ row: string[] }>(
      `select array[kind, issuer ->> 'kind', issuer_tenant_id, (folded_into is not null)::text] as row from orders
       where id = any($1) order by kind`,
      [orderIds],
    );
    // Both the authority's: the takedown of this URL is new; the blocking request of the same photo folded, as a
    // request of its own (as orders by hand do), into the open one an earlier confirmation issued.
    expect(orders.rows.map((o) => o.row)).toEqual([
      ['blocking', 'authority', 'auth-2', 'true'],
      ['takedown', 'authority', 'auth-2', 'false'],
    ]);
    const confirmations = await asPerson(
      api.app,
      officer2,
      'GET',
      '/v1/cases?kind=confirm&status=all&limit=100',
    );
    const listed = confirmations.json<{ cases: { submissionId: string }[] }>().cases;
    expect(listed.map((c) => c.submissionId)).not.toContain(submissionId);
  });
});

describe('metrics', () => {
  it('count the queues, the oldest case, overdue cases and decisions', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/mod_review_queue_size\{[^}]*kind="review"[^}]*\} [1-9]/);
    expect(text).toMatch(/mod_review_oldest_case_age_seconds\{[^}]*kind="review"[^}]*\} [0-9.e+]+/);
    expect(text).toMatch(/mod_review_overdue\{[^}]*kind="review"[^}]*\} \d/);
    expect(text).toMatch(/mod_review_decisions_total\{[^}]*decision="confirm"[^}]*\} [1-9]/);
    expect(text).toMatch(/mod_review_decisions_total\{[^}]*decision="escalate"[^}]*\} [1-9]/);
  });
});
