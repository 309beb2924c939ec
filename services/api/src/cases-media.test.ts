import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import {
  asPerson,
  colourSpread,
  jpegFrame,
  photo,
  signedInPerson,
  type SignedIn,
} from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

let ana: SignedIn, bao: SignedIn, admin: SignedIn, officer: SignedIn;

const { api, people, seedCase, claim, decide } = useReviewWorld(
  { reviewer: ['hotline-1', 'reviewer'] },
  { people: ['ana', 'bao', 'admin', 'officer1'], build: () => ({ review: { dailyRevealLimit: 3 } }) },
);
beforeAll(() => ({ ana, bao, admin, officer1: officer } = people));

const seed = (keep = true) => seedCase({ keep });
/** A person's preview, or reveal, of a case's media. */
const previewFor = (who: SignedIn, caseId: string) =>
  asPerson(api.app, who, 'GET', `/v1/cases/${caseId}/preview`);
const revealFor = (who: SignedIn, caseId: string) =>
  asPerson(api.app, who, 'POST', `/v1/cases/${caseId}/reveal`);
/** Status and error code of a person's preview, or reveal. */
const previewAnswer = async (who: SignedIn, caseId: string) => statusAndCode(await previewFor(who, caseId));
const revealAnswer = async (who: SignedIn, caseId: string) => statusAndCode(await revealFor(who, caseId));
/** An answer that shows an image: 200, a JPEG, kept by no cache (shared or the browser's), never sniffed. */
const shown = (res: LightMyRequestResponse) => {
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('image/jpeg');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  return res;
};
const opened = async (view: string, personId: string) =>
  (await listAudit(api.db, { limit: 100_000 })).filter(
    (r) => r.action === 'evidence.opened' && r.reason === view && r.actor.id === personId,
  );

describe('previews', () => {
  it('are made on the server: greyscale, reduced, not the original bytes; every view is audited', async () => {
    const { caseId } = await seed();
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const res = shown(await previewFor(ana, caseId));
    expect(res.headers['x-preview-blurred']).toBe('true');
    const preview = res.rawPayload;
    expect(preview.equals(photo)).toBe(false);
    expect(preview.length).toBeLessThan(photo.length);
    // Reduced to the default longest side, 256 px; greyscale (the original is a colour photograph).
    expect(jpegFrame(photo)).toMatchObject({ width: 640, height: 480 });
    expect(jpegFrame(preview)).toMatchObject({ width: 256, height: 192 });
    expect(await colourSpread(photo)).toBeGreaterThan(40);
    expect(await colourSpread(preview)).toBeLessThanOrEqual(2);
    expect(await opened('preview', ana.personId)).toHaveLength(1);
  });

  it('follow the person’s settings (size, blur off), never the greyscale', async () => {
    const { caseId } = await seed();
    expect((await claim(bao, caseId)).statusCode).toBe(200);
    const changed = await asPerson(api.app, bao, 'PATCH', '/v1/review-settings', {
      previewBlur: false,
      previewMaxSide: 128,
    });
    expect(changed.json()).toMatchObject({ previewBlur: false, previewMaxSide: 128, dailyRevealLimit: 3 });
    const res = await previewFor(bao, caseId);
    expect(res.headers['x-preview-blurred']).toBe('false');
    expect(jpegFrame(res.rawPayload)).toMatchObject({ width: 128, height: 96 });
    expect(await colourSpread(res.rawPayload)).toBeLessThanOrEqual(2);
    // Another person keeps the defaults.
    expect((await asPerson(api.app, ana, 'GET', '/v1/review-settings')).json()).toMatchObject({
      previewBlur: true,
      previewMaxSide: 256,
    });
    expect(
      statusAndCode(await asPerson(api.app, bao, 'PATCH', '/v1/review-settings', { previewMaxSide: 4096 })),
    ).toEqual([400, 'MOD_ERR_API_VALIDATION']);
  });

  it('are for the people of the case’s queue: not machines, not oversight, not other queues', async () => {
    const { caseId } = await seed();
    expect(statusAndCode(await api.call(api.keys.reviewer, 'GET', `/v1/cases/${caseId}/preview`))).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    expect(await previewAnswer(admin, caseId)).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    expect(await previewAnswer(officer, caseId)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });

  it('answer 404 when no media was kept', async () => {
    const { caseId } = await seed(false);
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    expect(await previewAnswer(ana, caseId)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });
});

describe('reveals', () => {
  it('send the original only on an explicit request, audited and counted in the daily exposure counter', async () => {
    const { caseId } = await seed();
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const res = shown(await revealFor(ana, caseId));
    expect(res.rawPayload.equals(photo)).toBe(true);
    expect(res.headers['x-reveals-today']).toBe('1');
    const records = await opened('reveal', ana.personId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: { kind: 'person', id: ana.personId }, role: 'reviewer' });
    expect((await asPerson(api.app, ana, 'GET', '/v1/review-settings')).json()).toMatchObject({
      revealsToday: 1,
    });
    // A reveal is a state-changing request: without the session's CSRF token it is refused.
    const forged = await api.app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/reveal`,
      headers: { cookie: ana.headers['cookie']! },
    });
    expect(statusAndCode(forged)).toEqual([403, 'MOD_ERR_API_CSRF']);
  });

  it('stop at the daily limit when one is set', async () => {
    const { caseId } = await seed();
    expect((await claim(bao, caseId)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await revealFor(bao, caseId)).statusCode).toBe(200);
    expect(await revealAnswer(bao, caseId)).toEqual([429, 'MOD_ERR_API_EXPOSURE_LIMIT']);
    expect(await opened('reveal', bao.personId)).toHaveLength(3);
    // The refusal is on record, by whom and why, as a preview's past its limit is.
    const refused = (await listAudit(api.db, { subjectId: caseId }))
      .filter((r) => r.action === 'case.reveal_refused')
      .map((r) => [r.actor.id, r.reason]);
    expect(refused).toEqual([[bao.personId, 'MOD_ERR_API_EXPOSURE_LIMIT']]);
  });
});

describe('reveals of a case one does not hold', () => {
  it('are refused, opened for nobody, counted for nobody and on record: unclaimed, held by another, decided', async () => {
    const { caseId } = await seed();
    const [eva, gia] = [
      await signedInPerson(api.db, 'hotline-1', 'reviewer', 'eva'),
      await signedInPerson(api.db, 'hotline-1', 'reviewer', 'gia'),
    ];
    // In the queue, nobody's: a reviewer browsing it sees neither the original nor its preview (the same
    // picture, smaller and greyer: case-preview-rules.test.ts).
    expect(await revealAnswer(eva, caseId)).toEqual([409, 'MOD_ERR_API_CASE_NOT_CLAIMED']);
    expect(await previewAnswer(eva, caseId)).toEqual([409, 'MOD_ERR_API_CASE_NOT_CLAIMED']);
    // Held by gia: only gia reveals it.
    expect((await claim(gia, caseId)).statusCode).toBe(200);
    expect(await revealAnswer(eva, caseId)).toEqual([409, 'MOD_ERR_API_CASE_CLAIMED']);
    expect(shown(await revealFor(gia, caseId)).rawPayload.equals(photo)).toBe(true);
    // Decided: the work is done, nobody reveals it any more, the decider neither.
    expect((await decide(gia, caseId, { decision: 'dismiss', reason: 'benign' })).statusCode).toBe(200);
    expect(await revealAnswer(gia, caseId)).toEqual([409, 'MOD_ERR_API_CASE_CLOSED']);
    expect(await revealAnswer(eva, caseId)).toEqual([409, 'MOD_ERR_API_CASE_CLOSED']);
    expect(await opened('reveal', eva.personId)).toEqual([]);
    expect(await opened('reveal', gia.personId)).toHaveLength(1);
    for (const [who, count] of [
      [eva, 0],
      [gia, 1],
    ] as const)
      expect((await asPerson(api.app, who, 'GET', '/v1/review-settings')).json()).toMatchObject({
        revealsToday: count,
      });
    // Each refusal is on record, by whom and why, about the case.
    const refused = (await listAudit(api.db, { subjectId: caseId }))
      .filter((r) => r.action === 'case.reveal_refused')
      .map((r) => [r.actor.id, r.reason]);
    expect(refused).toEqual([
      [eva.personId, 'MOD_ERR_REVIEW_NOT_CLAIMED'],
      [eva.personId, 'MOD_ERR_REVIEW_CASE_CLAIMED'],
      [gia.personId, 'MOD_ERR_REVIEW_CASE_CLOSED'],
      [eva.personId, 'MOD_ERR_REVIEW_CASE_CLOSED'],
    ]);
  });
});

describe('reveals at once', () => {
  it('stop at the daily limit however many are asked for at once; refused ones are not opened', async () => {
    const { caseId } = await seed();
    const cam = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'cam');
    expect((await claim(cam, caseId)).statusCode).toBe(200);
    const answers = await Promise.all(Array.from({ length: 8 }, () => revealFor(cam, caseId)));
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(await opened('reveal', cam.personId)).toHaveLength(3);
    expect((await asPerson(api.app, cam, 'GET', '/v1/review-settings')).json()).toMatchObject({
      revealsToday: 3,
    });
  });

  it('count nothing when nothing is sent (no media kept)', async () => {
    const { caseId } = await seed(false);
    const dao = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'dao');
    expect((await claim(dao, caseId)).statusCode).toBe(200);
    expect(await revealAnswer(dao, caseId)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect((await asPerson(api.app, dao, 'GET', '/v1/review-settings')).json()).toMatchObject({
      revealsToday: 0,
    });
  });
});

describe('destroyed media', () => {
  it('answers 410 to a preview and a reveal once retention destroyed it; the case stays readable', async () => {
    const { caseId } = await seed();
    await asPerson(api.app, ana, 'POST', `/v1/cases/${caseId}/claim`);
    const done = await asPerson(api.app, ana, 'POST', `/v1/cases/${caseId}/decision`, {
      decision: 'dismiss',
      reason: 'benign',
    });
    expect(done.statusCode).toBe(200);
    // The decision started the retention clock; a sweep after it destroys the bytes and the data key.
    const swept = await api.world.vault.sweep(
      { afterCaseClosedHours: 0, unlinkedHours: 24 },
      new Date(Date.now() + 60_000),
      { actor: { kind: 'service', id: 'test' }, role: null, tenantId: null },
    );
    expect(swept.destroyed).toBeGreaterThanOrEqual(1);
    expect(await previewAnswer(ana, caseId)).toEqual([410, 'MOD_ERR_API_EVIDENCE_GONE']);
    expect(await revealAnswer(ana, caseId)).toEqual([410, 'MOD_ERR_API_EVIDENCE_GONE']);
    const read = await asPerson(api.app, ana, 'GET', `/v1/cases/${caseId}`);
    expect(read.json()).toMatchObject({ media: { state: 'destroyed' }, case: { decision: 'dismiss' } });
  });
});
