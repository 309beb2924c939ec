import { beforeAll, describe, expect, it } from 'vitest';
import { addStep, assignReportOwner, moveSubjectToCase, setSubjectOwner } from '@mod/db/reports';
import { asPerson, seedReviewCase, signedInPerson, type SignedIn } from './cases.test-helper.js';
import { seedPerson } from './people-testing.test-helper.js';
import { STAFF_OWNER } from './reports/outsider-view.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

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
/** The programme: a hotline operator, who reads every report (the hotline's key reads its own tenant's). */
let operator: SignedIn;
beforeAll(async () => {
  operator = await signedInPerson(api.db, 'outsider-hotline', 'hotline', 'outsider.operator');
});
/** A read as `who`: a machine's key, or a signed-in person. */
const get = (who: string | SignedIn, url: string) =>
  typeof who === 'string' ? api.call(who, 'GET', url) : asPerson(api.app, who, 'GET', url);

interface Detail {
  report: {
    filedBy: string | null;
    ownerPersonId: string | null;
    ownerName: string | null;
    subjects: { owner: string | null; caseId: string | null; orderIds: string[]; reports: number | null }[];
  };
  steps: { at: string; step: string; owner: string; ownerName: string | null; note: string | null }[];
}

interface Subjects {
  report: {
    status: string;
    receivedAt: string;
    subjects: { id: string; status: string; owner: string | null; submissionId: string | null }[];
  };
  steps: Detail['steps'];
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

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

    const read = async (key: string | SignedIn) => {
      const res = await get(key, `/v1/reports/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Detail>();
    };
    const inside = await read(operator);
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
    const detail = async (key: string | SignedIn) => {
      const res = await get(key, `/v1/reports/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Detail>().report.subjects;
    };
    expect(await detail(operator)).toMatchObject([{ reports: 2 }]);
    expect(await detail(api.keys.platform)).toMatchObject([{ reports: null }]);
  });

  it('does not tell a platform (nor anyone with its tracking code) that its report folded into a subject others had under review', async () => {
    const shared = `https://outsider.example/${crypto.randomUUID()}.jpg`;
    const own = `https://outsider.example/${crypto.randomUUID()}.jpg`;
    const first = await api.call(api.keys.hotline, 'POST', '/v1/reports', {
      urls: [shared],
      category: 'other',
    });
    expect(first.statusCode, first.body).toBe(201);
    const read = async (key: string | SignedIn, id: string) => {
      const res = await get(key, `/v1/reports/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Subjects>();
    };
    const [subject] = (await read(api.keys.hotline, first.json<{ id: string }>().id)).report.subjects;
    // The hotline's report is under review and held by a reviewer before the platform reports the same URL.
    const reviewer = await seedPerson(api.db, {
      tenantId: 'outsider-hotline',
      login: 'outsider.claimer',
      role: 'reviewer',
    });
    const inReview = await seedReviewCase(api.db, null, {
      tenantId: 'outsider-hotline',
      score: 0.9,
      url: shared,
      keep: false,
    });
    await moveSubjectToCase(api.db, { id: subject!.id, ...inReview, at: new Date(), note: 'review' });
    await setSubjectOwner(api.db, { id: subject!.id, owner: reviewer.personId, at: new Date() });
    await tick();

    const filed = await api.call(api.keys.platform, 'POST', '/v1/reports', {
      urls: [shared, own],
      category: 'other',
    });
    expect(filed.statusCode, filed.body).toBe(201);
    const { id, trackingCode } = filed.json<{ id: string; trackingCode: string }>();
    const publicStatus = async () => {
      const res = await api.app.inject({
        method: 'POST',
        url: '/report/status',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ code: trackingCode, lang: 'en' }).toString(),
      });
      expect(res.statusCode).toBe(200);
      return /data-status="([a-z-]+)"/.exec(res.body)?.[1];
    };

    // The programme sees the report in review at once.
    const inside = await read(operator, id);
    expect(inside.report.status).toBe('assessing');
    expect(inside.report.subjects[0]).toMatchObject({ status: 'case', owner: reviewer.personId });
    // The platform sees what a report of a URL nobody reported looks like: received, its URLs routed.
    const outside = await read(api.keys.platform, id);
    expect(outside.report.status).toBe('received');
    for (const s of outside.report.subjects)
      expect(s).toMatchObject({ status: 'routing', owner: 'system:pipeline', submissionId: null });
    expect(outside.steps.map((s) => s.step)).toEqual(['received', 'routed', 'routed']);
    for (const s of outside.steps)
      expect(Date.parse(s.at), s.step).toBeGreaterThanOrEqual(Date.parse(outside.report.receivedAt));
    const listed = await api.call(api.keys.platform, 'GET', '/v1/reports?limit=200');
    const inList = listed.json<{ reports: (Subjects['report'] & { id: string })[] }>().reports;
    expect(inList.find((r) => r.id === id)).toMatchObject({ status: 'received' });
    expect(await publicStatus()).toBe('received');

    // Once the shared subject moves on after the platform's report, the platform is told: being assessed.
    await tick();
    await setSubjectOwner(api.db, { id: subject!.id, owner: null, at: new Date() });
    const moved = await read(api.keys.platform, id);
    expect(moved.report.status).toBe('assessing');
    expect(moved.report.subjects[0]).toMatchObject({ status: 'case', submissionId: null });
    expect(moved.steps.map((s) => s.step)).toEqual(['received', 'routed', 'routed', 'released']);
    expect(await publicStatus()).toBe('assessing');
  });
});
