import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { totpCode } from '@mod/people';
import { measurePreview } from '@mod/vault/testing/preview';
import {
  callWithKey,
  codeNow,
  createBrowser,
  enrolPerson,
  nextTotpStepAfter,
  signIn,
  type Browser,
  type EnrolledPerson,
} from './review-flow-browser.js';
import {
  actorsOf,
  asPerson,
  AUTHORITY,
  auditEvidence,
  auditRecords,
  classifierSkips,
  createBank,
  HOTLINE,
  ISP,
  PLATFORM,
  scene,
  useReviewScene,
  type CaseSummary,
  type Flagged,
  type Order,
} from './review-flow-scene.js';
import { indexedEntries, readPartners, scanViaKafka, waitFor } from './helpers.js';

// Issue 21's first acceptance point through the real stack: the classifier flags images published by a platform
// on Kafka, the actioner opens their review cases (media sealed in the vault), and people whom an admin made sign
// in over HTTP (one-time password, new password, TOTP; then password and TOTP) and work the cases as a browser
// would, with the session cookie and the CSRF header: claim, preview, reveal, confirm (orders issued, audit
// naming the reviewer), dismiss (with a negative-bank proposal a curator approves) and escalate (decided by an
// authority's officer). The tests share one world and run in order.

useReviewScene();

const people = {} as Record<'ana' | 'bao' | 'cuc' | 'officer', EnrolledPerson>;
const tabs = {} as Record<keyof typeof people, Browser>;
const cases = {} as Record<keyof typeof scene.photos, string>;

describe('people review what the classifier flagged (real Kafka, PostgreSQL and services)', () => {
  it('people an admin made sign in: one-time password, a new password, TOTP enrolment; then password and TOTP', async () => {
    const { baseUrl, adminKey } = scene;
    const enrolled = await Promise.all([
      enrolPerson(baseUrl, adminKey, { tenantId: HOTLINE, login: 'ana.reviewer', role: 'reviewer' }),
      enrolPerson(baseUrl, adminKey, { tenantId: HOTLINE, login: 'bao.reviewer', role: 'reviewer' }),
      enrolPerson(baseUrl, adminKey, { tenantId: HOTLINE, login: 'cuc.curator', role: 'curator' }),
      enrolPerson(baseUrl, adminKey, { tenantId: AUTHORITY, login: 'officer.one', role: 'authority' }),
    ]);
    [people.ana, people.bao, people.cuc, people.officer] = enrolled;

    // The code that confirmed enrolment is spent: a sign-in with it is refused (and audited as a replay).
    const ana = people.ana;
    const replay = await createBrowser(baseUrl).call('POST', '/v1/session', {
      body: { login: ana.login, password: ana.password, code: totpCode(ana.totpSecret, ana.enrolledStep) },
    });
    expect(replay.refusal()).toEqual([401, 'MOD_ERR_API_SIGN_IN_FAILED']);
    expect((await auditRecords('person.sign_in_failed')).map((r) => [r.actor, r.reason])).toEqual([
      [asPerson(ana.personId), 'replayed-code'],
    ]);

    // The next code the app shows signs each of them in, with the password they chose.
    await nextTotpStepAfter(Math.max(...enrolled.map((p) => p.enrolledStep)));
    for (const name of ['ana', 'bao', 'cuc', 'officer'] as const)
      tabs[name] = await signIn(baseUrl, people[name]);
    const me = await tabs.ana.call('GET', '/v1/session');
    expect(me.json()).toMatchObject({ stage: 'full', person: { id: ana.personId, role: 'reviewer' } });
    expect(codeNow(ana.totpSecret)).toMatch(/^\d{6}$/);
    const signedIn = (await auditRecords('person.signed_in')).filter((r) => r.actor.id === ana.personId);
    const stages = await Promise.all(signedIn.map(async (r) => (await auditEvidence(r.seq))['stage']));
    expect(stages).toEqual(['password', 'full']);
  });

  it('the classifier flags each image: its review case is in the queue with its scores and model versions', async () => {
    const bySubmission = new Map<string, CaseSummary>();
    await waitFor(
      'the three review cases in the queue',
      async () => {
        const page = await tabs.ana.call('GET', `/v1/cases?tenantId=${PLATFORM}&limit=100`);
        expect(page.status).toBe(200);
        for (const c of page.json<{ cases: CaseSummary[] }>().cases)
          if (c.submissionId !== null) bySubmission.set(c.submissionId, c);
        return Object.values(scene.photos).every((p) => bySubmission.has(p.submissionId));
      },
      90_000,
    );
    for (const [name, photo] of Object.entries(scene.photos) as [keyof typeof scene.photos, Flagged][]) {
      const summary = bySubmission.get(photo.submissionId)!;
      expect(summary).toMatchObject({ kind: 'review', stage: 'open', claimedBy: null });
      expect(summary.reason).toMatch(/classifier risk/);
      expect(summary.riskScore).toBeGreaterThan(0);
      cases[name] = summary.id;

      const one = await tabs.ana.call('GET', `/v1/cases/${summary.id}`);
      expect(one.status).toBe(200);
      const detail = one.json<{
        submission: { url: string; classification: { models: { id: string; version: string }[] } };
      }>();
      expect(detail).toMatchObject({
        case: { id: summary.id, riskScore: summary.riskScore },
        submission: {
          id: photo.submissionId,
          tenantId: PLATFORM,
          url: photo.url,
          classification: { risk: { score: summary.riskScore, reviewRequired: true } },
        },
        media: { state: 'in-case', mediaType: 'image/jpeg', sizeBytes: photo.bytes.length },
      });
      const models = detail.submission.classification.models;
      expect(models.map((m) => m.id)).toEqual(expect.arrayContaining([expect.stringMatching(/nsfw/)]));
      expect(models.every((m) => m.version !== '')).toBe(true);
    }
  });

  it('confirm: one reviewer claims (the other can neither claim nor decide), previews, reveals, confirms; orders issue in their name', async () => {
    const id = cases.confirm;
    const photo = scene.photos.confirm;
    const { ana, bao } = tabs;
    // A state-changing request without the CSRF header is refused, as a forged one would be.
    expect((await ana.call('POST', `/v1/cases/${id}/claim`, { withoutCsrf: true })).refusal()).toEqual([
      403,
      'MOD_ERR_API_CSRF',
    ]);
    const claimed = await ana.call('POST', `/v1/cases/${id}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.json()).toMatchObject({ stage: 'claimed', claimedBy: people.ana.personId });
    expect((await bao.call('POST', `/v1/cases/${id}/claim`)).refusal()).toEqual([
      409,
      'MOD_ERR_API_CASE_CLAIMED',
    ]);
    const baoDecides = await bao.call('POST', `/v1/cases/${id}/decision`, {
      body: { decision: 'dismiss', reason: 'looks harmless to me' },
    });
    expect(baoDecides.refusal()).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);

    // The default view: a greyscale, reduced, blurred JPEG made on the server, never the original bytes.
    const preview = await ana.call('GET', `/v1/cases/${id}/preview`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('image/jpeg');
    expect(preview.headers.get('x-preview-blurred')).toBe('true');
    expect(preview.bytes.equals(photo.bytes)).toBe(false);
    const seen = await measurePreview(preview.bytes, photo.bytes);
    expect(seen.grey).toBe(true);
    expect(Math.max(seen.width, seen.height)).toBeLessThanOrEqual(256);
    expect(seen.originalSharpness).toBeGreaterThan(50);
    expect(seen.sharpness).toBeLessThan(seen.originalSharpness / 10);

    // The original only on an explicit reveal, counted and audited with the person's id.
    const revealed = await ana.call('POST', `/v1/cases/${id}/reveal`);
    expect(revealed.status).toBe(200);
    expect(revealed.bytes.equals(photo.bytes)).toBe(true);
    expect(revealed.headers.get('x-reveals-today')).toBe('1');
    const opened = [];
    for (const r of await auditRecords('evidence.opened')) {
      const evidence = await auditEvidence(r.seq);
      if (evidence['caseId'] === id) opened.push([evidence['view'], r.actor]);
    }
    expect(opened).toEqual([
      ['preview', asPerson(people.ana.personId)],
      ['reveal', asPerson(people.ana.personId)],
    ]);

    const decided = await ana.call('POST', `/v1/cases/${id}/decision`, {
      body: { decision: 'confirm', category: 'A', reason: 'seen in full: abusive, category A' },
    });
    expect(decided.status, JSON.stringify(decided.json())).toBe(200);
    const done = decided.json<{ case: CaseSummary; orderIds: string[] }>();
    expect(done.case).toMatchObject({
      status: 'closed',
      decision: 'confirm',
      decidedBy: people.ana.personId,
    });
    expect(done.orderIds).toHaveLength(2);

    // GET /v1/orders shows them: a blocking order to the subscribed ISP, a takedown to the hosting platform.
    const listed = await ana.call('GET', `/v1/orders?submissionId=${photo.submissionId}`);
    const orders = listed.json<{ orders: Order[] }>().orders;
    expect(orders.map((o) => o.id).sort()).toEqual([...done.orderIds].sort());
    expect(orders.map((o) => [o.kind, o.targetTenantId, o.subject.value]).sort()).toEqual([
      ['blocking', ISP, expect.stringMatching(/^[0-9a-f]{64}$/)],
      ['takedown', PLATFORM, photo.url],
    ]);
    const byKey = await callWithKey(scene.baseUrl, scene.adminKey, 'GET', `/v1/orders/${done.orderIds[0]}`);
    expect(byKey.status).toBe(200);

    // The audit records of the decision name the reviewer: the claim, the decision and each order.
    const reviewer = asPerson(people.ana.personId);
    expect(await actorsOf('case.claimed', id)).toEqual([reviewer]);
    expect(await actorsOf('case.confirmed', id)).toEqual([reviewer]);
    for (const orderId of done.orderIds) expect(await actorsOf('order.issued', orderId)).toEqual([reviewer]);

    // Policy opened the authorities' confirmation case beside the orders.
    const confirmations = await tabs.officer.call('GET', '/v1/cases?kind=confirm');
    const confirmation = confirmations.json<{ cases: CaseSummary[] }>().cases;
    expect(confirmation.map((c) => [c.kind, c.submissionId, [...c.orderIds].sort()])).toEqual([
      ['confirm', photo.submissionId, [...done.orderIds].sort()],
    ]);

    // The actioner sends the takedown to the platform's own topic (the outbox the decision committed).
    const takedowns = await readPartners(scene.world, 'takedownRequests', [PLATFORM], (r) =>
      r.some((m) => done.orderIds.includes(m.key ?? '')),
    );
    expect(takedowns.map((m) => Codecs.takedownRequest.decode(m.value).url)).toContain(photo.url);
  });

  it('dismiss: a reviewer proposes the content for a negative bank; a curator, another person, approves it', async () => {
    const id = cases.dismiss;
    const photo = scene.photos.dismiss;
    const { ana, bao, cuc } = tabs;
    const bankId = await createBank({ name: 'known-benign', negative: true });
    expect((await bao.call('POST', `/v1/cases/${id}/claim`)).status).toBe(200);
    const anaDecides = await ana.call('POST', `/v1/cases/${id}/decision`, {
      body: { decision: 'confirm', category: 'C', reason: 'I would confirm it' },
    });
    expect(anaDecides.refusal()).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    const preview = await bao.call('GET', `/v1/cases/${id}/preview`);
    expect(preview.status).toBe(200);
    expect((await measurePreview(preview.bytes, photo.bytes)).grey).toBe(true);

    const decided = await bao.call('POST', `/v1/cases/${id}/decision`, {
      body: {
        decision: 'dismiss',
        reason: 'a landscape, nothing abusive',
        proposeToBankId: bankId,
        proposalNote: 'benign: keep it out of the queue',
      },
    });
    expect(decided.status, JSON.stringify(decided.json())).toBe(200);
    const done = decided.json<{ case: CaseSummary; orderIds: string[]; proposalId: string | null }>();
    expect(done).toMatchObject({
      case: { status: 'closed', decision: 'dismiss', decidedBy: people.bao.personId },
      orderIds: [],
    });
    expect(done.proposalId).toEqual(expect.any(String));
    const orders = await bao.call('GET', `/v1/orders?submissionId=${photo.submissionId}`);
    expect(orders.json<{ orders: Order[] }>().orders).toEqual([]);

    // The proposer does not approve (a reviewer is no curator); the curator, another person, does.
    const proposalId = done.proposalId!;
    const own = await bao.call('POST', `/v1/bank-proposals/${proposalId}/approve`, { body: {} });
    expect(own.refusal()).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    const entriesBefore = indexedEntries(scene.pipeline);
    const approved = await cuc.call('POST', `/v1/bank-proposals/${proposalId}/approve`, {
      body: { reason: 'looked at the preview: benign' },
    });
    expect(approved.status, JSON.stringify(approved.json())).toBe(200);
    const proposal = approved.json<{ entries: { signal: string }[]; entryIds: string[] }>();
    expect(proposal).toMatchObject({
      status: 'approved',
      bankId,
      proposedBy: people.bao.personId,
      decidedBy: people.cuc.personId,
    });
    expect(proposal.entries.map((e) => e.signal)).toContain('blockhash');
    expect(proposal.entryIds).toHaveLength(proposal.entries.length);
    // The new entries reach the scanner's index through the bank-changes topic.
    await waitFor(
      'the scanner to apply the approved entries',
      async () => indexedEntries(scene.pipeline) >= entriesBefore + proposal.entries.length,
    );

    // The same picture again: the negative bank suppresses it, so no model runs and no case opens.
    const again = await scanViaKafka(scene.world, scene.partner, photo.bytes);
    expect(again.decision).toBe('suppressed');
    expect(again.hits.map((h) => [h.bankId, h.negative])).toContainEqual([bankId, true]);
    await waitFor('the classifier to skip the suppressed picture', async () =>
      (await classifierSkips('matched')) >= 1 ? true : undefined,
    );
    const recorded = await waitFor('the suppressed verdict recorded', async () => {
      const s = await bao.call('GET', `/v1/submissions/${again.submissionId}`);
      return s.status === 200 && s.json<{ decision: string | null }>().decision === 'suppressed';
    });
    expect(recorded).toBe(true);
    const all = await bao.call('GET', `/v1/cases?tenantId=${PLATFORM}&status=all&limit=100`);
    expect(all.json<{ cases: CaseSummary[] }>().cases.map((c) => c.submissionId)).not.toContain(
      again.submissionId,
    );

    // The case is closed, so the kept picture's retention clock runs.
    expect(await mediaState(bao, id)).toBe('case-closed');
    expect(await actorsOf('case.dismissed', id)).toEqual([asPerson(people.bao.personId)]);
    expect(await actorsOf('bank_proposal.created', proposalId)).toEqual([asPerson(people.bao.personId)]);
    expect(await actorsOf('bank_proposal.approved', proposalId)).toEqual([asPerson(people.cuc.personId)]);
  });

  it('two people, never one: a curator who proposes a confirmed case for a bank cannot approve it alone', async () => {
    const { cuc } = tabs;
    const bankId = await createBank({ name: 'hotline-confirmed', negative: false });
    const proposed = await cuc.call('POST', `/v1/cases/${cases.confirm}/proposals`, {
      body: { bankId, note: 'confirmed category A by review' },
    });
    expect(proposed.status, JSON.stringify(proposed.json())).toBe(201);
    const { id } = proposed.json<{ id: string }>();
    expect(proposed.json()).toMatchObject({ status: 'pending', proposedBy: people.cuc.personId });
    const alone = await cuc.call('POST', `/v1/bank-proposals/${id}/approve`, { body: {} });
    expect(alone.refusal()).toEqual([403, 'MOD_ERR_API_SAME_PERSON']);
    expect((await cuc.call('GET', `/v1/bank-proposals/${id}`)).json()).toMatchObject({
      status: 'pending',
      decidedBy: null,
    });
  });

  it("escalate: a reviewer hands a case to an authority, whose officer decides it; orders issue in the authority's name", async () => {
    const id = cases.escalate;
    const photo = scene.photos.escalate;
    const { ana, bao, officer } = tabs;
    expect((await ana.call('POST', `/v1/cases/${id}/claim`)).status).toBe(200);
    const baoDecides = await bao.call('POST', `/v1/cases/${id}/decision`, {
      body: { decision: 'escalate', reason: 'I would escalate it', authorityTenantId: AUTHORITY },
    });
    expect(baoDecides.refusal()).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    const decided = await ana.call('POST', `/v1/cases/${id}/decision`, {
      body: {
        decision: 'escalate',
        reason: 'cannot tell the age: the authority decides',
        authorityTenantId: AUTHORITY,
      },
    });
    expect(decided.status, JSON.stringify(decided.json())).toBe(200);
    const done = decided.json<{ case: CaseSummary; orderIds: string[]; escalationId: string | null }>();
    expect(done).toMatchObject({
      case: { status: 'closed', decision: 'escalate', decidedBy: people.ana.personId },
      orderIds: [],
    });
    const escalationId = done.escalationId!;
    expect(await mediaState(ana, escalationId)).toBe('in-case');
    expect(await actorsOf('case.escalated', id)).toEqual([asPerson(people.ana.personId)]);
    expect(await actorsOf('case.opened', escalationId)).toEqual([asPerson(people.ana.personId)]);

    // The officer finds it in the authority's queue; a reviewer does not work it.
    const queue = await officer.call('GET', '/v1/cases?kind=escalation');
    expect(queue.status).toBe(200);
    expect(queue.json<{ cases: CaseSummary[] }>().cases).toEqual([
      expect.objectContaining({ id: escalationId, assignedTenantId: AUTHORITY, escalatedFrom: id }),
    ]);
    expect((await bao.call('POST', `/v1/cases/${escalationId}/claim`)).refusal()).toEqual([
      403,
      'MOD_ERR_API_CASE_NOT_YOURS',
    ]);
    expect((await officer.call('POST', `/v1/cases/${escalationId}/claim`)).status).toBe(200);
    const preview = await officer.call('GET', `/v1/cases/${escalationId}/preview`);
    expect(preview.status).toBe(200);
    expect((await measurePreview(preview.bytes, photo.bytes)).grey).toBe(true);
    const confirmed = await officer.call('POST', `/v1/cases/${escalationId}/decision`, {
      body: { decision: 'confirm', category: 'B', reason: 'the authority confirms: category B' },
    });
    expect(confirmed.status, JSON.stringify(confirmed.json())).toBe(200);
    const { orderIds } = confirmed.json<{ orderIds: string[] }>();
    expect(orderIds).toHaveLength(2);

    const listed = await officer.call('GET', `/v1/orders?submissionId=${photo.submissionId}`);
    const orders = listed.json<{ orders: Order[] }>().orders;
    expect(orders.map((o) => o.id).sort()).toEqual([...orderIds].sort());
    expect(orders.map((o) => [o.kind, o.issuer.kind, o.issuerTenantId]).sort()).toEqual([
      ['blocking', 'authority', AUTHORITY],
      ['takedown', 'authority', AUTHORITY],
    ]);
    for (const orderId of orderIds)
      expect(await actorsOf('order.issued', orderId)).toEqual([asPerson(people.officer.personId)]);
    expect(await actorsOf('case.confirmed', escalationId)).toEqual([asPerson(people.officer.personId)]);
    // The escalation took the kept picture over from the review case, and closing it starts its retention clock.
    expect(await mediaState(officer, escalationId)).toBe('case-closed');
  });
});

/** The state of a case's kept media (`in-case`, `case-closed`, ...) as the case shows it. */
async function mediaState(tab: Browser, caseId: string): Promise<string | undefined> {
  const answer = await tab.call('GET', `/v1/cases/${caseId}`);
  expect(answer.status).toBe(200);
  return answer.json<{ media: { state: string } | null }>().media?.state;
}
