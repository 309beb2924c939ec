import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * A legal hold on a citizen's report (`POST /v1/reports/:id/legal-hold`, `.../release`): the evidence holders' roles
 * and rules (an authority keeps it for its tenant, which alone or an admin releases it), every change audited, and
 * the hold shown in the report as the programme's operators read it (never to the platform that filed it). That the
 * retention pass then keeps the report: services/actioner/src/personal-data-report-hold.test.ts.
 */
const api = useCallersWorld(
  {
    ...castCallers('authA', 'authB', 'reviewer', 'admin', 'platA'),
    hotline: ['hotline-1', 'hotline'],
  },
  { tenants: { 'hotline-1': 'hotline', ops: 'admin' }, build: { reports: TEST_REPORT_SETTINGS } },
);

interface Read {
  report: { legalHold: { by: string; authorityTenantId: string; reason: string; at: string } | null };
}

const hold = (key: string, id: string, reason?: string) =>
  api.call(key, 'POST', `/v1/reports/${id}/legal-hold`, reason === undefined ? {} : { reason });
const release = (key: string, id: string, reason: string) =>
  api.call(key, 'POST', `/v1/reports/${id}/legal-hold/release`, { reason });
const holdOf = async (key: string, id: string) =>
  (await api.call(key, 'GET', `/v1/reports/${id}`)).json<Read>().report.legalHold;

describe("a legal hold on a citizen's report", () => {
  it('is placed by an authority with a reason, shown to operators, released by it, and audited', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'plat-a' });
    expect(statusAndCode(await hold(api.keys.authA, id))).toEqual([400, 'MOD_ERR_API_VALIDATION']);
    // Not the hotline's, a reviewer's or a platform's to place (the evidence holders' roles).
    for (const key of [api.keys.hotline, api.keys.reviewer, api.keys.platA])
      expect((await hold(key, id, 'x')).statusCode).toBe(403);
    expect(await holdOf(api.keys.reviewer, id)).toBeNull();

    const placed = await hold(api.keys.authA, id, 'criminal investigation 12/2026');
    expect(placed.statusCode).toBe(200);
    // The hold alone: an authority reads no report.
    expect(Object.keys(placed.json<object>()).sort()).toEqual(['legalHold', 'reportId']);
    expect(placed.json()).toMatchObject({
      reportId: id,
      legalHold: { authorityTenantId: 'auth-a', reason: 'criminal investigation 12/2026', byName: null },
    });
    expect(await holdOf(api.keys.reviewer, id)).toMatchObject({
      authorityTenantId: 'auth-a',
      reason: 'criminal investigation 12/2026',
    });
    // The platform that filed it is not told of an authority's investigation.
    expect(await holdOf(api.keys.platA, id)).toBeNull();

    // Another authority neither holds over it nor releases it; an admin cannot hold over it either.
    expect(statusAndCode(await hold(api.keys.authB, id, 'mine'))).toEqual([
      409,
      'MOD_ERR_API_LEGAL_HOLD_CONFLICT',
    ]);
    expect(statusAndCode(await release(api.keys.authB, id, 'mine'))).toEqual([
      409,
      'MOD_ERR_API_LEGAL_HOLD_CONFLICT',
    ]);
    expect(statusAndCode(await hold(api.keys.admin, id, 'b'))).toEqual([
      409,
      'MOD_ERR_API_LEGAL_HOLD_CONFLICT',
    ]);
    // Renewed by its own authority.
    expect((await hold(api.keys.authA, id, 'renewed for the trial')).statusCode).toBe(200);

    const released = await release(api.keys.authA, id, 'investigation closed');
    expect(released.json()).toEqual({ reportId: id, legalHold: null });
    expect(await holdOf(api.keys.reviewer, id)).toBeNull();
    expect(statusAndCode(await release(api.keys.authA, id, 'again'))).toEqual([
      409,
      'MOD_ERR_API_LEGAL_HOLD_CONFLICT',
    ]);
    const records = (await listAudit(api.db, { subjectId: id })).filter((r) =>
      r.action.startsWith('report.legal_hold'),
    );
    expect(records.map((r) => [r.action, r.role, r.tenantId, r.reason])).toEqual([
      ['report.legal_hold_set', 'authority', 'auth-a', 'criminal investigation 12/2026'],
      ['report.legal_hold_set', 'authority', 'auth-a', 'renewed for the trial'],
      ['report.legal_hold_released', 'authority', 'auth-a', 'investigation closed'],
    ]);
  });

  it("lets an admin place a hold and release another authority's; an unknown report is not found", async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    expect((await hold(api.keys.authA, id, 'held by a')).statusCode).toBe(200);
    expect((await release(api.keys.admin, id, 'court order lifted')).statusCode).toBe(200);
    expect((await hold(api.keys.admin, id, 'prosecution file 3')).json()).toMatchObject({
      legalHold: { authorityTenantId: 'ops', reason: 'prosecution file 3' },
    });
    const records = (await listAudit(api.db, { subjectId: id })).filter((r) =>
      r.action.startsWith('report.legal_hold'),
    );
    expect(records.map((r) => [r.action, r.role, r.tenantId, r.evidence])).toEqual([
      ['report.legal_hold_set', 'authority', 'auth-a', expect.any(Object)],
      ['report.legal_hold_released', 'admin', 'ops', expect.any(Object)],
      ['report.legal_hold_set', 'admin', 'ops', expect.any(Object)],
    ]);
    const unknown = crypto.randomUUID();
    expect(statusAndCode(await hold(api.keys.authA, unknown, 'x'))).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    expect(statusAndCode(await release(api.keys.admin, unknown, 'x'))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
  });
});
