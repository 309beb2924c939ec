import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { asPerson, signedInPerson } from './cases.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * Taking responsibility for a report (`POST /v1/reports/:id/owner`) is for a report still being handled: once its
 * outcome is recorded, the person who was responsible then stays named on it.
 */
const api = useCallersWorld(
  { hotline: ['owner-hotline', 'hotline'] },
  { build: { reports: TEST_REPORT_SETTINGS } },
);

interface Detail {
  report: { status: string; ownerPersonId: string | null };
  steps: { step: string; owner: string }[];
}

describe("citizens' reports: taking responsibility", () => {
  it('is refused once the report has its outcome: the responsible person stays, no step or record is added', async () => {
    const [lan, mai] = [
      await signedInPerson(api.db, 'owner-hotline', 'hotline', 'owner.lan'),
      await signedInPerson(api.db, 'owner-hotline', 'hotline', 'owner.mai'),
    ];
    const id = await seedMatrixReport(api.db, { tenantId: 'owner-hotline' });
    const take = (who: typeof lan) => asPerson(api.app, who, 'POST', `/v1/reports/${id}/owner`);
    expect((await take(lan)).statusCode).toBe(200);
    // Handled: no action possible, with its reason (as the report router records an outcome).
    await api.db.query(
      `update reports set status = 'no-action', outcome_at = now(), outcome_reason = 'gone' where id = $1`,
      [id],
    );
    const before = await asPerson(api.app, lan, 'GET', `/v1/reports/${id}`);
    expect(statusAndCode(await take(mai))).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    expect(statusAndCode(await take(lan))).toEqual([409, 'MOD_ERR_API_CONFLICT']);
    const after = await asPerson(api.app, lan, 'GET', `/v1/reports/${id}`);
    expect(after.json<Detail>().report).toMatchObject({ status: 'no-action', ownerPersonId: lan.personId });
    expect(after.json<Detail>().steps).toEqual(before.json<Detail>().steps);
    const assigned = (await listAudit(api.db, { subjectId: id })).filter(
      (r) => r.action === 'report.assigned',
    );
    expect(assigned.map((r) => r.actor.id)).toEqual([lan.personId]);
    // A report nobody filed is still not found.
    const none = await asPerson(api.app, mai, 'POST', `/v1/reports/${crypto.randomUUID()}/owner`);
    expect(statusAndCode(none)).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
  });
});
