import { describe, expect, it } from 'vitest';
import { Codecs } from '@mod/contracts';
import { totpCode } from '@mod/people';
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
  AUTHORITY,
  auditEvidence,
  auditRecords,
  HOTLINE,
  ISP,
  measurePreview,
  PLATFORM,
  scene,
  useReviewScene,
  type Flagged,
} from './review-flow-scene.js';
import { readPartners, waitFor } from './helpers.js';

// Issue 21's first acceptance point through the real stack: the classifier flags images published by a platform
// on Kafka, the actioner opens their review cases (media sealed in the vault), and people whom an admin made sign
// in over HTTP (one-time password, new password, TOTP; then password and TOTP) and work the cases as a browser
// would, with the session cookie and the CSRF header: claim, preview, reveal, confirm (orders issued, audit
// naming the reviewer), dismiss (with a negative-bank proposal a curator approves) and escalate (decided by an
// authority's officer). The tests share one world and run in order.

useReviewScene();

interface CaseSummary {
  id: string;
  kind: string;
  stage: string;
  status: string;
  submissionId: string | null;
  reason: string;
  riskScore: number | null;
  claimedBy: string | null;
  decision: string | null;
  decidedBy: string | null;
  orderIds: string[];
}

interface Order {
  id: string;
  kind: string;
  targetTenantId: string;
  subject: { type: string; value: string };
  issuer: { kind: string };
}

const people = {} as Record<'ana' | 'bao' | 'cuc' | 'officer', EnrolledPerson>;
const tabs = {} as Record<keyof typeof people, Browser>;
const cases = {} as Record<keyof typeof scene.photos, string>;

/** The actors of the audit records of `action` about `subjectId`. */
const actorsOf = async (action: string, subjectId: string) =>
  (await auditRecords(action)).filter((r) => r.subject.id === subjectId).map((r) => r.actor);
const asPerson = (id: string) => ({ kind: 'person', id });

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

    // The actioner sends the takedown to the platform's own topic (the outbox the decision committed).
    const takedowns = await readPartners(scene.world, 'takedownRequests', [PLATFORM], (r) =>
      r.some((m) => done.orderIds.includes(m.key ?? '')),
    );
    expect(takedowns.map((m) => Codecs.takedownRequest.decode(m.value).url)).toContain(photo.url);
  });
});
