import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { erasePersonalData } from '@mod/db/reports';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpAnswer, type HttpCaller } from './over-http.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';

/**
 * Referring a citizen's report to an authority (`POST /v1/reports/:id/referrals`, `.../withdraw`): a person of the
 * hotline or an admin refers it with a reason, audited; the authority then reads it (`/v1/referred-reports`) but
 * never another authority's referrals (404) nor the reporter's contact details. Over HTTP on loopback, against
 * PostgreSQL.
 */
const api = useCallersWorld(
  { ...castCallers('authA', 'authB', 'reviewer', 'admin', 'platA'), hotline: ['hotline-1', 'hotline'] },
  { tenants: { 'hotline-1': 'hotline', ops: 'admin' }, build: { reports: TEST_REPORT_SETTINGS } },
);

let call: (who: HttpCaller, method: string, path: string, body?: unknown) => Promise<HttpAnswer>;
let lan: SignedIn;
let ops: SignedIn;
let rita: SignedIn;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  lan = await signedInPerson(api.db, 'hotline-1', 'hotline', 'referral.lan');
  ops = await signedInPerson(api.db, 'ops', 'admin', 'referral.ops');
  rita = await signedInPerson(api.db, 'hotline-1', 'reviewer', 'referral.rita');
});

interface Referral {
  id: string;
  authorityTenantId: string;
  reason: string;
  referredBy: string;
  withdrawn: { by: string; reason: string } | null;
}
const refer = (who: HttpCaller, id: string, authorityTenantId: string, reason = 'grooming ring, Hà Nội') =>
  call(who, 'POST', `/v1/reports/${id}/referrals`, { authorityTenantId, reason });
const withdraw = (
  who: HttpCaller,
  id: string,
  authorityTenantId: string,
  reason = 'sent to the wrong unit',
) => call(who, 'POST', `/v1/reports/${id}/referrals/${authorityTenantId}/withdraw`, { reason });
const listed = async (key: string) =>
  (await call(key, 'GET', '/v1/referred-reports'))
    .json<{ reports: { id: string }[] }>()
    .reports.map((r) => r.id);
const answer = (a: HttpAnswer) => [a.status, a.code];
const referralRecords = async (id: string) =>
  (await listAudit(api.db, { subjectId: id }))
    .filter((r) => r.action.startsWith('report.referr'))
    .map((r) => [r.action, r.role, r.tenantId, r.actor.id, r.reason]);

describe("referring a citizen's report to an authority", () => {
  it('lets the authority it is referred to read it, never another authority, once per authority, audited', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'plat-a' });
    const other = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    expect(await listed(api.keys.authA)).not.toContain(id);
    expect(answer(await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);

    const first = await refer(lan, id, 'auth-a');
    expect(first.status).toBe(201);
    const referral = first.json<{ referral: Referral }>().referral;
    expect(referral).toMatchObject({
      authorityTenantId: 'auth-a',
      reason: 'grooming ring, Hà Nội',
      referredBy: lan.personId,
      withdrawn: null,
    });
    // Again, with another reason: the same standing referral, nothing changed or recorded.
    const again = await refer(lan, id, 'auth-a', 'once more');
    expect(again.status).toBe(200);
    expect(again.json<{ referral: Referral }>().referral).toEqual(referral);
    expect((await refer(lan, other, 'auth-b')).status).toBe(201);

    // The authority reads its referred report, content and status, with the referral; never the contact details.
    const read = await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`);
    expect(read.status).toBe(200);
    const body = read.json<{ report: Record<string, unknown>; referral: Referral }>();
    expect(body.report).toMatchObject({ id, description: 'matrix', status: 'received', hasContact: true });
    expect(body.referral.id).toBe(referral.id);
    expect(read.bytes.toString()).not.toContain('Matrix');
    expect(answer(await call(api.keys.authA, 'GET', `/v1/reports/${id}/contact`))).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    // The operators' routes stay closed to an authority: its referrals are the way in.
    expect(answer(await call(api.keys.authA, 'GET', `/v1/reports/${id}`))).toEqual([
      403,
      'MOD_ERR_API_FORBIDDEN',
    ]);

    // Another authority: neither in its list nor readable (404, never 403); and the first does not see its report.
    expect(await listed(api.keys.authA)).toEqual([id]);
    expect(await listed(api.keys.authB)).toEqual([other]);
    expect(answer(await call(api.keys.authB, 'GET', `/v1/referred-reports/${id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(answer(await call(api.keys.authA, 'GET', `/v1/referred-reports/${other}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(await referralRecords(id)).toEqual([
      ['report.referred', 'hotline', 'hotline-1', lan.personId, 'grooming ring, Hà Nội'],
    ]);
  });

  it('is withdrawn with a reason, audited, after which the authority reads it no more; a new referral is new', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    const made = (await refer(ops, id, 'auth-a', 'prosecution file 7')).json<{ referral: Referral }>()
      .referral;
    expect((await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`)).status).toBe(200);

    const withdrawn = await withdraw(lan, id, 'auth-a');
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.json<{ referral: Referral }>().referral).toMatchObject({
      id: made.id,
      withdrawn: { by: lan.personId, reason: 'sent to the wrong unit' },
    });
    expect(answer(await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect(await listed(api.keys.authA)).not.toContain(id);
    expect(answer(await withdraw(lan, id, 'auth-a'))).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    expect(answer(await withdraw(lan, id, 'auth-b'))).toEqual([409, 'MOD_ERR_API_CONFLICT']);

    const anew = await refer(lan, id, 'auth-a', 'the right unit after all');
    expect(anew.status).toBe(201);
    expect(anew.json<{ referral: Referral }>().referral.id).not.toBe(made.id);
    // Operators' people read the history, the withdrawn one included.
    const history = await call(rita, 'GET', `/v1/reports/${id}/referrals`);
    expect(
      history.json<{ referrals: Referral[] }>().referrals.map((r) => [r.reason, r.withdrawn?.reason]),
    ).toEqual([
      ['prosecution file 7', 'sent to the wrong unit'],
      ['the right unit after all', undefined],
    ]);
    expect(await referralRecords(id)).toEqual([
      ['report.referred', 'admin', 'ops', ops.personId, 'prosecution file 7'],
      ['report.referral_withdrawn', 'hotline', 'hotline-1', lan.personId, 'sent to the wrong unit'],
      ['report.referred', 'hotline', 'hotline-1', lan.personId, 'the right unit after all'],
    ]);
  });

  it('refuses other targets and other callers with typed codes, recording nothing', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'plat-a' });
    for (const target of ['plat-a', 'hotline-1', 'no-such-tenant'])
      expect(answer(await refer(lan, id, target))).toEqual([400, 'MOD_ERR_API_REFERRAL_TARGET']);
    await api.db.query(`insert into tenants (id, kind, name) values ('auth-off', 'authority', 'Off')`);
    await api.db.query(`update tenants set disabled_at = now() where id = 'auth-off'`);
    expect(answer(await refer(lan, id, 'auth-off'))).toEqual([400, 'MOD_ERR_API_REFERRAL_TARGET']);
    expect(answer(await refer(lan, crypto.randomUUID(), 'auth-a'))).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(
      answer(await call(lan, 'POST', `/v1/reports/${id}/referrals`, { authorityTenantId: 'auth-a' })),
    ).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    // Keys (the hotline's call centre, an admin's machine) are refused: a referral is a named person's act.
    for (const key of [api.keys.hotline, api.keys.admin])
      expect(answer(await refer(key, id, 'auth-a'))).toEqual([403, 'MOD_ERR_API_SESSION_REQUIRED']);
    for (const who of [rita, api.keys.authA, api.keys.platA, api.keys.reviewer] as HttpCaller[])
      expect(answer(await refer(who, id, 'auth-a'))[0]).toBe(403);
    expect(answer(await refer(rita, id, 'auth-a'))).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    for (const key of [api.keys.platA, api.keys.reviewer, api.keys.hotline, api.keys.admin])
      expect(answer(await call(key, 'GET', '/v1/referred-reports'))).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    expect(answer(await call(api.keys.authA, 'GET', `/v1/reports/${id}/referrals`))).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    expect(await referralRecords(id)).toEqual([]);
    const targets = await call(lan, 'GET', '/v1/reports/referral-targets');
    const ids = targets.json<{ authorities: { id: string }[] }>().authorities.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining(['auth-a', 'auth-b']));
    expect(ids).not.toContain('auth-off');
    expect(ids).not.toContain('plat-a');
  });

  it("shows the authority its own legal hold, not another's; a referral keeps nothing from erasure, a hold does", async () => {
    const [free, held] = [
      await seedMatrixReport(api.db, { tenantId: 'plat-a', referredTo: 'auth-a' }),
      await seedMatrixReport(api.db, { tenantId: 'plat-a', referredTo: 'auth-a' }),
    ];
    const hold = (key: string, id: string) =>
      call(key, 'POST', `/v1/reports/${id}/legal-hold`, { reason: 'criminal investigation 12/2026' });
    expect((await hold(api.keys.authA, held)).status).toBe(200);
    expect((await hold(api.keys.authB, free)).status).toBe(200);
    const holdOf = async (id: string) =>
      (await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`)).json<{
        report: { legalHold: { authorityTenantId: string } | null };
      }>().report.legalHold;
    expect(await holdOf(held)).toMatchObject({ authorityTenantId: 'auth-a' });
    expect(await holdOf(free)).toBeNull();
    expect(
      (await call(api.keys.authB, 'POST', `/v1/reports/${free}/legal-hold/release`, { reason: 'done' }))
        .status,
    ).toBe(200);

    // Both handled long ago, their contact details due: the pass erases the referred one, keeps the held one.
    const now = new Date();
    await api.db.query(
      `update reports set status = 'no-action', outcome_reason = 'gone', outcome_at = $2 where id = any($1::uuid[])`,
      [[free, held], new Date(now.getTime() - 40 * 86_400_000)],
    );
    await api.db.query(`update report_contacts set delete_after = $2 where report_id = any($1::uuid[])`, [
      [free, held],
      new Date(now.getTime() - 1000),
    ]);
    const o = { now, periodDays: 30, batchSize: 1000, by: 'referral-test' };
    await erasePersonalData(api.db, 'report-text', o);
    await erasePersonalData(api.db, 'reporter-contact', o);
    const read = async (id: string) =>
      (await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`)).json<{
        report: { description: string | null; hasContact: boolean; textErasedAt: string | null };
      }>().report;
    expect(await read(free)).toMatchObject({ description: null, hasContact: false });
    expect((await read(free)).textErasedAt).not.toBeNull();
    expect(await read(held)).toMatchObject({ description: 'matrix', hasContact: true, textErasedAt: null });
  });
});
