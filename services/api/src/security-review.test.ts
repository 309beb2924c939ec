import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvidence, listAudit } from '@mod/db/audit';
import { routesOf } from './app.js';
import { asPerson, signedInPerson, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';
import { seedSession } from './people-testing.test-helper.js';
import { SESSION_COOKIE } from './session-auth.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * Attacks of someone who read the code, on staff accounts, sessions and the review queue: each must fail. (The
 * concurrent sign-in guesses and reveals are people-sessions.test.ts's and cases-media.test.ts's.)
 */
let ana: SignedIn, bao: SignedIn, cam: SignedIn, dao: SignedIn;
let curator: SignedIn, root: SignedIn, officer1: SignedIn, officer2: SignedIn;

const { api, people, seedCase, negativeBank, claim, decide, claimAndDecide } = useReviewWorld(
  { curatorKey: ['hotline-1', 'curator'] },
  {
    people: ['ana', 'bao', 'cam', 'dao', 'curator', 'admin', 'officer1', 'officer2'],
    // The authority an admin switches off (an escalation to it is refused).
    tenants: [{ id: 'auth-off', kind: 'authority', name: 'Off' }],
  },
);
beforeAll(() => ({ ana, bao, cam, dao, curator, admin: root, officer1, officer2 } = people));

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

describe('CSRF', () => {
  it('refuses every state-changing route called with a live session cookie but not its CSRF token', async () => {
    const routes = routesOf(api.app).filter((r) => !SAFE.has(r.method) && r.config['public'] !== true);
    expect(routes.length).toBeGreaterThan(30);
    const answers: string[] = [];
    for (const r of routes) {
      // A fresh session each time: the per-credential rate limit must not be what answers.
      const { token } = await seedSession(api.db, root.personId);
      const url = r.url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const res = await api.app.inject({
        method: r.method as 'POST',
        url,
        headers: { cookie: `${SESSION_COOKIE}=${token}`, 'content-type': 'application/json' },
        payload: '{}',
      });
      answers.push(`${r.method} ${r.url} ${statusAndCode(res).join(' ')}`);
    }
    expect(answers.filter((a) => !a.endsWith(' 403 MOD_ERR_API_CSRF'))).toEqual([]);
  });
});

describe('the two-person rule', () => {
  it('holds for the proposer through a second session and through a key of the same role', async () => {
    const { bank } = await negativeBank('sec-negative');
    const { caseId } = await seedCase();
    await claim(ana, caseId);
    expect((await decide(ana, caseId, { decision: 'dismiss', reason: 'benign' })).statusCode).toBe(200);
    const proposed = await asPerson(api.app, curator, 'POST', `/v1/cases/${caseId}/proposals`, {
      bankId: bank.id,
    });
    expect(proposed.statusCode).toBe(201);
    const proposalId = proposed.json<{ id: string }>().id;
    // The same person in another session is still the proposer.
    const second = await seedSession(api.db, curator.personId);
    const approve = await api.app.inject({
      method: 'POST',
      url: `/v1/bank-proposals/${proposalId}/approve`,
      headers: second.headers,
      payload: {},
    });
    expect(statusAndCode(approve)).toEqual([403, 'MOD_ERR_API_SAME_PERSON']);
    // A machine key of the curator role names no person: it decides nothing.
    const byKey = await api.call(api.keys.curatorKey, 'POST', `/v1/bank-proposals/${proposalId}/approve`, {});
    expect(statusAndCode(byKey)).toEqual([403, 'MOD_ERR_API_SESSION_REQUIRED']);
    const still = await asPerson(api.app, root, 'GET', `/v1/bank-proposals/${proposalId}`);
    expect(still.json()).toMatchObject({ status: 'pending', decidedBy: null });
  });
});

describe('bank proposals', () => {
  it('are approved only while the bank still fits the decision: a bank turned positive since is refused', async () => {
    const { bank } = await negativeBank('sec-turned');
    const { caseId } = await seedCase();
    await claim(ana, caseId);
    const decided = await decide(ana, caseId, {
      decision: 'dismiss',
      reason: 'benign',
      proposeToBankId: bank.id,
    });
    expect(decided.statusCode).toBe(200);
    const proposalId = decided.json<{ proposalId: string }>().proposalId;
    // The known-benign list becomes an automatic one: approved now, content a reviewer judged benign would be
    // actioned on every upload (and confirmed abuse proposed for a positive bank turned negative, suppressed).
    const turned = await api.call(api.keys.curatorKey, 'PATCH', `/v1/banks/${bank.id}`, { negative: false });
    expect(turned.statusCode).toBe(200);
    const approve = await asPerson(api.app, curator, 'POST', `/v1/bank-proposals/${proposalId}/approve`, {});
    expect(statusAndCode(approve)).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    const { rows } = await api.db.query('select 1 from bank_entries where bank_id = $1', [bank.id]);
    expect(rows).toEqual([]);
    const still = await asPerson(api.app, root, 'GET', `/v1/bank-proposals/${proposalId}`);
    expect(still.json()).toMatchObject({ status: 'pending' });
    // Turned back, the same approval goes through.
    await api.call(api.keys.curatorKey, 'PATCH', `/v1/banks/${bank.id}`, { negative: true });
    const again = await asPerson(api.app, curator, 'POST', `/v1/bank-proposals/${proposalId}/approve`, {});
    expect(again.json()).toMatchObject({ status: 'approved' });
  });
});

describe('free text that has no UTF-8 form', () => {
  it('is refused with a coded 400 (a lone surrogate in a reason or a note), never a 500 after the work is done', async () => {
    const { bank } = await negativeBank('sec-surrogate');
    // JSON may escape half a surrogate pair; it has no UTF-8 form, so the audit record could never be written.
    const raw = (method: 'POST', url: string, who: SignedIn, json: string) =>
      api.app.inject({
        method,
        url,
        headers: { ...who.headers, 'content-type': 'application/json' },
        payload: json,
      });
    const { caseId } = await seedCase();
    await claim(ana, caseId);
    const decision = `/v1/cases/${caseId}/decision`;
    const invalid = [400, 'MOD_ERR_API_VALIDATION'];
    expect(
      statusAndCode(await raw('POST', decision, ana, '{"decision":"dismiss","reason":"ok \\ud800"}')),
    ).toEqual(invalid);
    const note = `{"decision":"dismiss","reason":"ok","proposeToBankId":"${bank.id}","proposalNote":"\\udc00"}`;
    expect(statusAndCode(await raw('POST', decision, ana, note))).toEqual(invalid);
    const done = await decide(ana, caseId, {
      decision: 'dismiss',
      reason: 'benign',
      proposeToBankId: bank.id,
    });
    const { proposalId } = done.json<{ proposalId: string }>();
    const reject = `/v1/bank-proposals/${proposalId}/reject`;
    expect(statusAndCode(await raw('POST', reject, curator, '{"reason":"no \\ud83d"}'))).toEqual(invalid);
    // Whole pairs (emoji) and Vietnamese stay accepted.
    const fine = await asPerson(api.app, curator, 'POST', reject, { reason: 'không phải 😀' });
    expect(fine.json()).toMatchObject({ status: 'rejected', decisionReason: 'không phải 😀' });
  });
});

describe('free text that reads other than it is stored', () => {
  it("is refused: C1 controls (U+009B, a terminal's CSI) and bidi overrides in a reason or a note", async () => {
    const { bank } = await negativeBank('sec-bidi');
    const { caseId } = await seedCase();
    await claim(ana, caseId);
    for (const body of [
      { decision: 'dismiss', reason: 'benign \u202edesirever' },
      { decision: 'dismiss', reason: 'benign \u0085' },
      { decision: 'dismiss', reason: 'benign', proposeToBankId: bank.id, proposalNote: 'see \u009b2J' },
    ])
      expect(statusAndCode(await decide(ana, caseId, body))).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    const done = await decide(ana, caseId, {
      decision: 'dismiss',
      reason: 'benign',
      proposeToBankId: bank.id,
    });
    const reject = `/v1/bank-proposals/${done.json<{ proposalId: string }>().proposalId}/reject`;
    expect(
      statusAndCode(await asPerson(api.app, curator, 'POST', reject, { reason: 'x\u2066y\u2069' })),
    ).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    const still = await asPerson(api.app, curator, 'GET', reject.replace('/reject', ''));
    expect(still.json()).toMatchObject({ status: 'pending' });
  });
});

describe('claims', () => {
  it('of four reviewers racing, one holds the case; the others neither decide nor release it', async () => {
    const { caseId } = await seedCase();
    const people = [ana, bao, cam, dao];
    const answers = await Promise.all(people.map((p) => claim(p, caseId)));
    const winners = people.filter((_, i) => answers[i]!.statusCode === 200);
    expect(winners).toHaveLength(1);
    expect(answers.map((a) => statusAndCode(a)[1]).filter((c) => c !== undefined)).toEqual(
      Array(3).fill('MOD_ERR_API_CASE_CLAIMED'),
    );
    for (const loser of people.filter((p) => p !== winners[0])) {
      expect(statusAndCode(await decide(loser, caseId, { decision: 'dismiss', reason: 'mine' }))).toEqual([
        409,
        'MOD_ERR_API_CASE_CLAIMED',
      ]);
      expect(statusAndCode(await asPerson(api.app, loser, 'POST', `/v1/cases/${caseId}/release`))).toEqual([
        409,
        'MOD_ERR_API_CASE_CLAIMED',
      ]);
    }
    const claimed = (await listAudit(api.db, { subjectId: caseId })).filter(
      (r) => r.action === 'case.claimed',
    );
    expect(claimed.map((r) => r.actor)).toEqual([{ kind: 'person', id: winners[0]!.personId }]);
  });
});

describe('an escalation addressed to one authority', () => {
  it('is out of every other authority’s reach: read, claim, preview, reveal, decide, release, its evidence', async () => {
    const { caseId, submissionId } = await seedCase();
    await claim(bao, caseId);
    const done = await decide(bao, caseId, {
      decision: 'escalate',
      reason: 'age unclear',
      authorityTenantId: 'auth-1',
    });
    const { escalationId } = done.json<{ escalationId: string }>();
    const at = (method: 'GET' | 'POST', path: string, body?: object) =>
      asPerson(api.app, officer2, method, `/v1/cases/${escalationId}${path}`, body);
    const notFound = [404, 'MOD_ERR_API_NOT_FOUND'];
    expect(statusAndCode(await at('GET', ''))).toEqual(notFound);
    expect(statusAndCode(await at('POST', '/claim'))).toEqual(notFound);
    expect(statusAndCode(await at('GET', '/preview'))).toEqual(notFound);
    expect(statusAndCode(await at('POST', '/reveal'))).toEqual(notFound);
    expect(statusAndCode(await at('POST', '/release'))).toEqual(notFound);
    expect(statusAndCode(await at('POST', '/decision', { decision: 'dismiss', reason: 'x' }))).toEqual(
      notFound,
    );
    const items = await asPerson(api.app, officer2, 'GET', `/v1/evidence?submissionId=${submissionId}`);
    expect(items.json()).toEqual({ items: [] });
    // Nothing of it was opened for the other authority, nor counted against them.
    const opened = (await listAudit(api.db, { limit: 100_000 })).filter(
      (r) => r.action === 'evidence.opened' && r.actor.id === officer2.personId,
    );
    expect(opened).toEqual([]);
    const settings = await asPerson(api.app, officer2, 'GET', '/v1/review-settings');
    expect(settings.json()).toMatchObject({ revealsToday: 0 });
    // The addressed authority works it.
    expect((await asPerson(api.app, officer1, 'POST', `/v1/cases/${escalationId}/claim`)).statusCode).toBe(
      200,
    );
    expect((await asPerson(api.app, officer1, 'GET', `/v1/cases/${escalationId}/preview`)).statusCode).toBe(
      200,
    );
  });
});

describe('an escalation to any authority', () => {
  it('is every authority’s while open, and only the deciding authority’s once decided', async () => {
    const { caseId } = await seedCase();
    await claim(cam, caseId);
    const done = await decide(cam, caseId, { decision: 'escalate', reason: 'which authority is unclear' });
    const { escalationId } = done.json<{ escalationId: string }>();
    const read = (who: SignedIn) => asPerson(api.app, who, 'GET', `/v1/cases/${escalationId}`);
    const decided = async (who: SignedIn) =>
      (await asPerson(api.app, who, 'GET', '/v1/cases?role=authority&status=decided&limit=100'))
        .json<{ cases: { id: string }[] }>()
        .cases.map((c) => c.id);
    expect((await read(officer2)).statusCode).toBe(200);
    await claimAndDecide(officer1, escalationId, {
      decision: 'confirm',
      category: 'A',
      reason: 'confirmed by authority 1',
    });
    // Its orders are authority 1's; so is the case, its media and its decision.
    expect((await read(officer1)).statusCode).toBe(200);
    expect(await decided(officer1)).toContain(escalationId);
    expect(statusAndCode(await read(officer2))).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(await decided(officer2)).not.toContain(escalationId);
    const preview = await asPerson(api.app, officer2, 'GET', `/v1/cases/${escalationId}/preview`);
    expect(statusAndCode(preview)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(
      statusAndCode(await asPerson(api.app, officer2, 'POST', `/v1/cases/${escalationId}/reveal`)),
    ).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });
});

describe('an escalation', () => {
  it('is refused to a switched-off authority, where nobody could ever decide it or let its media go', async () => {
    const off = await asPerson(api.app, root, 'PATCH', '/v1/admin/tenants/auth-off', { disabled: true });
    expect(off.statusCode).toBe(200);
    const { caseId } = await seedCase();
    await claim(dao, caseId);
    const buried = await decide(dao, caseId, {
      decision: 'escalate',
      reason: 'for them',
      authorityTenantId: 'auth-off',
    });
    expect(statusAndCode(buried)).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    const still = await asPerson(api.app, dao, 'GET', `/v1/cases/${caseId}`);
    expect(still.json()).toMatchObject({ case: { status: 'open', stage: 'claimed', decision: null } });
  });
});

describe('sessions of a person an admin acts on', () => {
  it('end at a disable and stay ended after enabling; a reset ends them too', async () => {
    const eve = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'sec.eve');
    const me = (who: SignedIn) => asPerson(api.app, who, 'GET', '/v1/me');
    expect((await me(eve)).statusCode).toBe(200);
    const admin = (path: string, body?: object) =>
      asPerson(api.app, root, 'POST', `/v1/admin/people/${eve.personId}/${path}`, body);
    expect((await admin('disable', { reason: 'on leave' })).statusCode).toBe(200);
    expect(statusAndCode(await me(eve))).toEqual([401, 'MOD_ERR_API_UNAUTHENTICATED']);
    expect((await admin('enable')).statusCode).toBe(200);
    expect(statusAndCode(await me(eve))).toEqual([401, 'MOD_ERR_API_UNAUTHENTICATED']);
    const again = await seedSession(api.db, eve.personId);
    const fresh = { personId: eve.personId, headers: again.headers };
    expect((await me(fresh)).statusCode).toBe(200);
    expect((await admin('reset')).statusCode).toBe(200);
    expect(statusAndCode(await me(fresh))).toEqual([401, 'MOD_ERR_API_UNAUTHENTICATED']);
    const actions = (await listAudit(api.db, { subjectId: eve.personId })).map((r) => [r.action, r.actor.id]);
    expect(actions).toEqual([
      ['person.disabled', root.personId],
      ['person.enabled', root.personId],
      ['person.password_reset', root.personId],
    ]);
  });
});

describe('claims of a person an admin disables', () => {
  it('are released with the disable: the cases they held go back to the queue at once', async () => {
    const mallory = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'sec.mallory');
    // A reviewer claims every case they can, holding the queue from everyone else.
    const held = [(await seedCase()).caseId, (await seedCase()).caseId];
    for (const id of held) expect((await claim(mallory, id)).statusCode).toBe(200);
    expect(statusAndCode(await claim(bao, held[0]!))).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    const disabled = await asPerson(api.app, root, 'POST', `/v1/admin/people/${mallory.personId}/disable`, {
      reason: 'claimed the whole queue',
    });
    expect(disabled.statusCode).toBe(200);
    for (const id of held) expect((await claim(bao, id)).statusCode).toBe(200);
    const [record] = (await listAudit(api.db, { subjectId: mallory.personId })).filter(
      (r) => r.action === 'person.disabled',
    );
    expect(record?.actor).toEqual({ kind: 'person', id: root.personId });
    const documents = await auditEvidence(api.db, record!.seq);
    const released = documents?.find((d) => d.name === 'claimsReleased')?.document;
    expect(JSON.parse(released ?? '[]')).toEqual([...held].sort());
  });
});
