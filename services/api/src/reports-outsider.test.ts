import { describe, expect, it } from 'vitest';
import { addStep, assignReportOwner } from '@mod/db/reports';
import { seedPerson } from './people-testing.js';
import { STAFF_OWNER } from './reports/outsider-view.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.js';
import { useCallersWorld } from './callers-world.js';

/**
 * A platform follows the reports it filed: what happened and when, and the reasons given; never which of the
 * programme's people or keys did each step (their names stay inside the programme), nor the internal ids of the
 * review case and the orders, which it cannot read anyway.
 */
const api = useCallersWorld(
  {
    platform: ['outsider-plat', 'platform'],
    hotline: ['outsider-hotline', 'hotline'],
  },
  { build: { reports: TEST_REPORT_SETTINGS } },
);

interface Detail {
  report: {
    filedBy: string | null;
    ownerPersonId: string | null;
    ownerName: string | null;
    subjects: { owner: string | null; caseId: string | null; orderIds: string[]; reports: number | null }[];
  };
  steps: { step: string; owner: string; ownerName: string | null; note: string | null }[];
}

describe("citizens' reports: what a platform is told of the programme's work on its report", () => {
  it('names the staff to the programme, and only "staff" to the platform; the platform\'s own steps stay its own', async () => {
    const filed = await api.call(api.keys.platform, 'POST', '/v1/reports', {
      urls: ['https://outsider.example/a.jpg'],
      category: 'other',
      description: 'seen on our service',
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const { id } = filed.json<{ id: string }>();
    const reviewer = await seedPerson(api.db, {
      tenantId: 'outsider-hotline',
      login: 'outsider.reviewer',
      role: 'reviewer',
    });
    const at = new Date();
    expect(await assignReportOwner(api.db, { reportId: id, personId: reviewer.personId, at })).toBe(true);
    await addStep(api.db, {
      reportId: id,
      at,
      step: 'noted',
      owner: 'key:some-hotline-key',
      note: 'called back',
    });

    const read = async (key: string) => {
      const res = await api.call(key, 'GET', `/v1/reports/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Detail>();
    };
    const inside = await read(api.keys.hotline);
    expect(inside.report).toMatchObject({
      ownerPersonId: reviewer.personId,
      ownerName: 'Test outsider.reviewer',
    });
    expect(inside.steps.find((s) => s.step === 'assigned')).toMatchObject({
      owner: reviewer.personId,
      ownerName: 'Test outsider.reviewer',
    });

    const outside = await read(api.keys.platform);
    expect(outside.report).toMatchObject({ ownerPersonId: null, ownerName: null });
    const filedBy = outside.report.filedBy!;
    expect(filedBy).toMatch(/^key:/);
    for (const s of outside.steps) {
      const told = s.owner === filedBy || s.owner === STAFF_OWNER || s.owner.startsWith('system:');
      expect(told, `${s.step}: ${s.owner}`).toBe(true);
      if (s.owner !== filedBy) expect(s.ownerName, s.step).toBeNull();
    }
    expect(outside.steps.find((s) => s.step === 'assigned')?.owner).toBe(STAFF_OWNER);
    // What was done and why stays: the step and its note.
    expect(outside.steps.find((s) => s.step === 'noted')).toMatchObject({
      owner: STAFF_OWNER,
      note: 'called back',
    });
    expect(outside.steps.some((s) => s.owner === filedBy)).toBe(true);
    for (const s of outside.report.subjects)
      expect(s).toMatchObject({ caseId: null, orderIds: [], reports: null });
    expect(JSON.stringify(outside)).not.toContain(reviewer.personId);
    expect(JSON.stringify(outside)).not.toContain('outsider.reviewer');

    // The list tells the same.
    const listed = await api.call(api.keys.platform, 'GET', '/v1/reports?limit=50');
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(reviewer.personId);
    expect(listed.json<{ reports: Detail['report'][] }>().reports[0]).toMatchObject({ ownerName: null });
  });

  it('does not tell a platform whether others reported the same URL', async () => {
    const url = `https://outsider.example/${crypto.randomUUID()}.jpg`;
    const report = { urls: [url], category: 'other', description: 'seen on our service' };
    const byHotline = await api.call(api.keys.hotline, 'POST', '/v1/reports', report);
    expect(byHotline.statusCode, byHotline.body).toBe(201);
    expect(byHotline.json()).toMatchObject({ subjects: { opened: 1, folded: 0 } });
    // The platform's report of the same URL folds into the hotline's subject: the platform is not told so.
    const byPlatform = await api.call(api.keys.platform, 'POST', '/v1/reports', report);
    expect(byPlatform.statusCode, byPlatform.body).toBe(201);
    expect(byPlatform.json()).toMatchObject({ subjects: null });
    const { id } = byPlatform.json<{ id: string }>();
    const detail = async (key: string) => {
      const res = await api.call(key, 'GET', `/v1/reports/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Detail>().report.subjects;
    };
    expect(await detail(api.keys.hotline)).toMatchObject([{ reports: 2 }]);
    expect(await detail(api.keys.platform)).toMatchObject([{ reports: null }]);
  });
});
