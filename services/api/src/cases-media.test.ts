import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, upsertTenant } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import type { EvidenceStore } from '@mod/vault';
import {
  asPerson,
  colourSpread,
  jpegFrame,
  photo,
  seedReviewCase,
  signedInPerson,
  type SignedIn,
} from './cases.test-helper.js';
import { callAs, createApiTestWorld, statusAndCode, type ApiTestWorld } from './testing.js';

let world: ApiTestWorld;
let app: FastifyInstance;
let vault: EvidenceStore;
let ana: SignedIn, bao: SignedIn, admin: SignedIn, officer: SignedIn;
let reviewerKey: string;

beforeAll(async () => {
  world = await createApiTestWorld();
  const db = world.db.pool;
  vault = world.vault;
  app = await world.build({ review: { evidence: vault, dailyRevealLimit: 3 } });
  await upsertTenant(db, { id: 'plat-1', kind: 'platform', name: 'Platform', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'hotline-1', kind: 'hotline', name: 'Hotline', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'ops', kind: 'admin', name: 'Operations', subscribedToBlocking: false });
  await upsertTenant(db, { id: 'auth-1', kind: 'authority', name: 'Authority', subscribedToBlocking: false });
  ana = await signedInPerson(db, 'hotline-1', 'reviewer', 'ana');
  bao = await signedInPerson(db, 'hotline-1', 'reviewer', 'bao');
  admin = await signedInPerson(db, 'ops', 'admin', 'root');
  officer = await signedInPerson(db, 'auth-1', 'authority', 'officer');
  reviewerKey = (await createApiKey(db, { tenantId: 'hotline-1', role: 'reviewer' })).key;
});
afterAll(async () => world?.close());

const seed = (keep = true) => seedReviewCase(world.db.pool, vault, { tenantId: 'plat-1', score: 0.9, keep });
/** Status and error code of a person's preview, or reveal, of a case's media. */
const previewAnswer = async (who: SignedIn, caseId: string) =>
  statusAndCode(await asPerson(app, who, 'GET', `/v1/cases/${caseId}/preview`));
const revealAnswer = async (who: SignedIn, caseId: string) =>
  statusAndCode(await asPerson(app, who, 'POST', `/v1/cases/${caseId}/reveal`));
const opened = async (view: string, personId: string) =>
  (await listAudit(world.db.pool, { limit: 100_000 })).filter(
    (r) => r.action === 'evidence.opened' && r.reason === view && r.actor.id === personId,
  );

describe('previews', () => {
  it('are made on the server: greyscale, reduced, not the original bytes; every view is audited', async () => {
    const { caseId } = await seed();
    const res = await asPerson(app, ana, 'GET', `/v1/cases/${caseId}/preview`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
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
    const changed = await asPerson(app, bao, 'PATCH', '/v1/review-settings', {
      previewBlur: false,
      previewMaxSide: 128,
    });
    expect(changed.json()).toMatchObject({ previewBlur: false, previewMaxSide: 128, dailyRevealLimit: 3 });
    const res = await asPerson(app, bao, 'GET', `/v1/cases/${caseId}/preview`);
    expect(res.headers['x-preview-blurred']).toBe('false');
    expect(jpegFrame(res.rawPayload)).toMatchObject({ width: 128, height: 96 });
    expect(await colourSpread(res.rawPayload)).toBeLessThanOrEqual(2);
    // Another person keeps the defaults.
    expect((await asPerson(app, ana, 'GET', '/v1/review-settings')).json()).toMatchObject({
      previewBlur: true,
      previewMaxSide: 256,
    });
    expect(
      statusAndCode(await asPerson(app, bao, 'PATCH', '/v1/review-settings', { previewMaxSide: 4096 })),
    ).toEqual([400, 'MOD_ERR_API_VALIDATION']);
  });

  it('are for the people of the case’s queue: not machines, not oversight, not other queues', async () => {
    const { caseId } = await seed();
    expect(statusAndCode(await callAs(app, reviewerKey, 'GET', `/v1/cases/${caseId}/preview`))).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    expect(await previewAnswer(admin, caseId)).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    expect(await previewAnswer(officer, caseId)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });

  it('answer 404 when no media was kept', async () => {
    const { caseId } = await seed(false);
    expect(await previewAnswer(ana, caseId)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });
});

describe('reveals', () => {
  it('send the original only on an explicit request, audited and counted in the daily exposure counter', async () => {
    const { caseId } = await seed();
    const res = await asPerson(app, ana, 'POST', `/v1/cases/${caseId}/reveal`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.rawPayload.equals(photo)).toBe(true);
    expect(res.headers['x-reveals-today']).toBe('1');
    const records = await opened('reveal', ana.personId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: { kind: 'person', id: ana.personId }, role: 'reviewer' });
    expect((await asPerson(app, ana, 'GET', '/v1/review-settings')).json()).toMatchObject({
      revealsToday: 1,
    });
    // A reveal is a state-changing request: without the session's CSRF token it is refused.
    const forged = await app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/reveal`,
      headers: { cookie: ana.headers['cookie']! },
    });
    expect(statusAndCode(forged)).toEqual([403, 'MOD_ERR_API_CSRF']);
  });

  it('stop at the daily limit when one is set', async () => {
    const { caseId } = await seed();
    for (let i = 0; i < 3; i++)
      expect((await asPerson(app, bao, 'POST', `/v1/cases/${caseId}/reveal`)).statusCode).toBe(200);
    expect(await revealAnswer(bao, caseId)).toEqual([429, 'MOD_ERR_API_EXPOSURE_LIMIT']);
    expect(await opened('reveal', bao.personId)).toHaveLength(3);
  });
});

describe('destroyed media', () => {
  it('answers 410 to a preview and a reveal once retention destroyed it; the case stays readable', async () => {
    const { caseId } = await seed();
    await asPerson(app, ana, 'POST', `/v1/cases/${caseId}/claim`);
    const done = await asPerson(app, ana, 'POST', `/v1/cases/${caseId}/decision`, {
      decision: 'dismiss',
      reason: 'benign',
    });
    expect(done.statusCode).toBe(200);
    // The decision started the retention clock; a sweep after it destroys the bytes and the data key.
    const swept = await vault.sweep(
      { afterCaseClosedHours: 0, unlinkedHours: 24 },
      new Date(Date.now() + 60_000),
      { actor: { kind: 'service', id: 'test' }, role: null, tenantId: null },
    );
    expect(swept.destroyed).toBeGreaterThanOrEqual(1);
    expect(await previewAnswer(ana, caseId)).toEqual([410, 'MOD_ERR_API_EVIDENCE_GONE']);
    expect(await revealAnswer(ana, caseId)).toEqual([410, 'MOD_ERR_API_EVIDENCE_GONE']);
    const read = await asPerson(app, ana, 'GET', `/v1/cases/${caseId}`);
    expect(read.json()).toMatchObject({ media: { state: 'destroyed' }, case: { decision: 'dismiss' } });
  });
});
