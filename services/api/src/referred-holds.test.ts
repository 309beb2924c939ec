import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpAnswer, type HttpCaller } from './over-http.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';

/**
 * What an authority keeps of a report once its referral is withdrawn: its own legal hold, which it sees
 * (`GET /v1/referred-reports/held`: the hold alone, never what the report says) and releases; another authority sees
 * none of it. And every read of a citizen's report by an authority is on the audit record (who, which report, when),
 * a list read once. Over HTTP on loopback, against PostgreSQL.
 */
const api = useCallersWorld(
  { ...castCallers('authA', 'authB'), hotline: ['hotline-1', 'hotline'] },
  { tenants: { 'hotline-1': 'hotline' }, build: { reports: TEST_REPORT_SETTINGS } },
);

let call: (who: HttpCaller, method: string, path: string, body?: unknown) => Promise<HttpAnswer>;
let lan: SignedIn;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  lan = await signedInPerson(api.db, 'hotline-1', 'hotline', 'held.lan');
});

interface Held {
  reportId: string;
  legalHold: { authorityTenantId: string; reason: string; by: string } | null;
  referralWithdrawnAt: string | null;
}
const heldBy = async (key: string) => {
  const res = await call(key, 'GET', '/v1/referred-reports/held');
  expect(res.status, res.bytes.toString()).toBe(200);
  return res.json<{ held: Held[] }>().held;
};
const reads = async (subjectId: string) =>
  (await listAudit(api.db, { subjectId }))
    .filter((r) => r.action.startsWith('referred_report.'))
    .map((r) => [r.action, r.actor.kind, r.role, r.tenantId, r.time === '' ? null : 'timed']);

describe('an authority after its referral is withdrawn', () => {
  it('sees and releases its own hold, the hold alone; another authority sees none of it', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1', referredTo: 'auth-a' });
    const hold = await call(api.keys.authA, 'POST', `/v1/reports/${id}/legal-hold`, {
      reason: 'case 45/2026',
    });
    expect(hold.status).toBe(200);
    // Standing referred: the report is read where it always was, not among the held-only ones.
    expect((await heldBy(api.keys.authA)).map((h) => h.reportId)).not.toContain(id);

    const withdrawn = await call(lan, 'POST', `/v1/reports/${id}/referrals/auth-a/withdraw`, {
      reason: 'wrong unit',
    });
    expect(withdrawn.status).toBe(200);
    expect((await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`)).status).toBe(404);
    const held = (await heldBy(api.keys.authA)).filter((h) => h.reportId === id);
    expect(held).toEqual([
      {
        reportId: id,
        legalHold: expect.objectContaining({
          authorityTenantId: 'auth-a',
          reason: 'case 45/2026',
        }) as unknown,
        referralWithdrawnAt: expect.any(String) as unknown,
      },
    ]);
    // The hold alone: nothing the citizen wrote, no address.
    const raw = (await call(api.keys.authA, 'GET', '/v1/referred-reports/held')).bytes.toString();
    expect(raw).not.toContain('matrix.example');
    expect(raw).not.toContain('"description"');
    // Another authority: none of it listed, and it may not release it.
    expect((await heldBy(api.keys.authB)).map((h) => h.reportId)).not.toContain(id);
    const foreign = await call(api.keys.authB, 'POST', `/v1/reports/${id}/legal-hold/release`, {
      reason: 'not ours',
    });
    expect([foreign.status, foreign.code]).toEqual([409, 'MOD_ERR_API_LEGAL_HOLD_CONFLICT']);

    const released = await call(api.keys.authA, 'POST', `/v1/reports/${id}/legal-hold/release`, {
      reason: 'case closed',
    });
    expect(released.json<{ legalHold: unknown }>()).toMatchObject({ reportId: id, legalHold: null });
    expect((await heldBy(api.keys.authA)).map((h) => h.reportId)).not.toContain(id);
    const records = (await listAudit(api.db, { subjectId: id })).filter((r) =>
      r.action.startsWith('report.legal_hold'),
    );
    expect(records.map((r) => [r.action, r.tenantId, r.reason])).toEqual([
      ['report.legal_hold_set', 'auth-a', 'case 45/2026'],
      ['report.legal_hold_released', 'auth-a', 'case closed'],
    ]);
  });

  it('lists a hold placed by id on a report never referred to it, with no withdrawal', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    expect(
      (await call(api.keys.authB, 'POST', `/v1/reports/${id}/legal-hold`, { reason: 'by id' })).status,
    ).toBe(200);
    expect((await heldBy(api.keys.authB)).find((h) => h.reportId === id)).toMatchObject({
      referralWithdrawnAt: null,
      legalHold: { authorityTenantId: 'auth-b', reason: 'by id' },
    });
    expect((await heldBy(api.keys.authA)).map((h) => h.reportId)).not.toContain(id);
  });
});

describe("an authority's reads of citizens' reports", () => {
  it('puts each read of a report on the audit record, and a list read once, never a refused read', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1', referredTo: 'auth-a' });
    const other = await seedMatrixReport(api.db, { tenantId: 'hotline-1', referredTo: 'auth-b' });
    expect(await reads(id)).toEqual([]);
    for (let i = 0; i < 2; i++)
      expect((await call(api.keys.authA, 'GET', `/v1/referred-reports/${id}`)).status).toBe(200);
    expect((await call(api.keys.authA, 'GET', `/v1/referred-reports/${other}`)).status).toBe(404);
    // The caller's key (a machine): named as the actor, and as the credential it acted with.
    expect(await reads(id)).toEqual([
      ['referred_report.read', 'user', 'authority', 'auth-a', 'timed'],
      ['referred_report.read', 'user', 'authority', 'auth-a', 'timed'],
    ]);
    expect(await reads(other)).toEqual([]);
    const read = (await listAudit(api.db, { subjectId: id })).find(
      (r) => r.action === 'referred_report.read',
    );
    expect(read?.subject).toEqual({ type: 'report', id });
    expect(Number.isNaN(Date.parse(read?.at ?? ''))).toBe(false);

    const before = (await listAudit(api.db, { subjectId: 'auth-a' })).filter(
      (r) => r.action === 'referred_report.list_read',
    ).length;
    const list = await call(api.keys.authA, 'GET', '/v1/referred-reports?limit=10');
    expect(list.status).toBe(200);
    const listReads = (await listAudit(api.db, { subjectId: 'auth-a' })).filter(
      (r) => r.action === 'referred_report.list_read',
    );
    expect(listReads).toHaveLength(before + 1);
    expect(listReads.at(-1)).toMatchObject({ role: 'authority', tenantId: 'auth-a' });
    // The list read is one record for the page, not one per report listed.
    expect(await reads(id)).toHaveLength(2);
  });
});
