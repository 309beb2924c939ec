import { describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import {
  AUTHORITY,
  fileWebReport,
  hotline,
  HOTLINE,
  hotlineReport,
  LISTED_URL,
  oversight,
  publicStatus,
  readReport,
  reportWhen,
  scene,
  trackingCodeOf,
  useReportScene,
} from './reports-scene.js';
import { enrolPerson } from './review-flow-browser.js';
import { waitFor } from './waiting.js';

/**
 * Citizens' reports through the real stack (issue 23): the public form and the hotline's API file them; the
 * fetcher, scanner, banks and URL lists, the actioner and the report router handle them as ISP traffic; a person
 * decides what nothing settled; every reporter's status follows.
 */
useReportScene();

const settled = (r: { report: { status: string } }) => ['actioned', 'no-action'].includes(r.report.status);

/**
 * The reviewer claims a case and decides it, over the API in their session; with `reportId`, the report names
 * them as the owner of its assessment before they decide.
 */
async function decide(caseId: string, body: Record<string, unknown>, reportId?: string) {
  const { session, personId } = scene.reviewer;
  const claimed = await session.call('POST', `/v1/cases/${caseId}/claim`);
  expect(claimed.status, claimed.bytes.toString()).toBe(200);
  if (reportId !== undefined)
    await reportWhen(reportId, 'the reviewer as owner', (r) => r.report.subjects[0]?.owner === personId);
  const decided = await session.call('POST', `/v1/cases/${caseId}/decision`, { body });
  expect(decided.status, decided.bytes.toString()).toBe(200);
}

/** Reports the page `url` as the hotline and waits until it is actioned without a person: its one subject. */
async function actionedPage(url: string) {
  const { id } = await hotlineReport([url]);
  const done = await reportWhen(id, 'the page actioned', settled);
  expect(done.report.status).toBe('actioned');
  const [subject] = done.report.subjects;
  expect(subject).toMatchObject({ url, status: 'actioned', caseId: null });
  return subject!;
}

describe("citizens' reports through the real stack (Kafka, PostgreSQL, fetcher, scanner, actioner)", () => {
  it('a report of a listed URL is matched and actioned without a person', async () => {
    const { id } = await hotlineReport([LISTED_URL], { description: 'gọi tổng đài lúc 9 giờ' });
    const done = await reportWhen(id, 'the listed URL actioned', settled);
    expect(done.report).toMatchObject({ channel: 'hotline', status: 'actioned', overdue: false });
    const [subject] = done.report.subjects;
    expect(subject).toMatchObject({
      url: LISTED_URL,
      status: 'actioned',
      caseId: null,
      owner: 'system:pipeline',
    });
    expect(subject!.orderIds.length).toBeGreaterThan(0);
    // Who owned each step: the hotline's key filed it, the pipeline routed and settled it.
    expect(done.steps.map((s) => [s.step, s.owner.split(':')[0]])).toEqual([
      ['received', 'key'],
      ['routed', 'system'],
      ['actioned', 'system'],
    ]);
    const orders = await hotline('GET', `/v1/reports/${id}`);
    expect(orders.status).toBe(200);
  });

  it('a report from the public form of an unknown URL whose content matches a bank image becomes orders', async () => {
    const sent = await fileWebReport({
      urls: scene.urls.known,
      category: 'csam',
      lang: 'vi',
      seenWhere: 'một diễn đàn',
    });
    expect(sent.status, sent.html.slice(0, 500)).toBe(201);
    const code = trackingCodeOf(sent.html);
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await publicStatus(code)).toMatch(/^(received|actioned)$/);
    await waitFor(
      'the public status to say action taken',
      async () => (await publicStatus(code)) === 'actioned',
      60_000,
    );
    const [report] = (await oversight('GET', '/v1/reports?channel=web&status=actioned')).json<{
      reports: { subjects: { url: string; orderIds: string[]; submissionId: string }[] }[];
    }>().reports;
    expect(report!.subjects[0]).toMatchObject({ url: scene.urls.known });
    expect(report!.subjects[0]!.orderIds.length).toBeGreaterThan(0);
    // The code itself is nowhere in the database: only its digest.
    const { rows } = await scene.world.db.query<{ n: string }>(
      `select count(*) as n from reports where tracking_sha256 = $1 or description like $2`,
      [code, `%${code}%`],
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('an unknown benign page becomes a case, then "no action possible" with the reviewer\'s reason', async () => {
    const { id, trackingCode } = await hotlineReport([scene.urls.benign], { category: 'other' });
    const inCase = await reportWhen(
      id,
      'a case for the benign page',
      (r) => r.report.subjects[0]?.status === 'case',
    );
    expect(inCase.report.status).toBe('assessing');
    expect(await publicStatus(trackingCode)).toBe('assessing');
    const caseId = inCase.report.subjects[0]!.caseId!;
    // The reviewer takes responsibility for the report, by name (a machine's key may not).
    const taken = await scene.reviewer.session.call('POST', `/v1/reports/${id}/owner`);
    expect(taken.status, taken.bytes.toString()).toBe(200);
    expect(taken.json()).toMatchObject({
      report: { ownerPersonId: scene.reviewer.personId, ownerName: 'Test lan.reviewer' },
    });
    expect((await hotline('POST', `/v1/reports/${id}/owner`)).refusal()).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    const detail = await scene.reviewer.session.call('GET', `/v1/cases/${caseId}`);
    expect(detail.status).toBe(200);
    // The reviewer reads the report as the case's context: what was reported, how, and why nothing settled it.
    expect(detail.json<{ case: { reason: string } }>().case.reason).toContain('citizen report');
    const reason = 'Trang không có nội dung xâm hại trẻ em';
    await decide(caseId, { decision: 'dismiss', reason }, id);
    const done = await reportWhen(id, 'no action possible', settled);
    expect(done.report).toMatchObject({ status: 'no-action', outcomeReason: reason });
    // The person who decided owns the outcome, by name.
    const last = done.steps.at(-1)!;
    expect(last).toMatchObject({ step: 'no-action', owner: scene.reviewer.personId, note: reason });
    expect(last.ownerName).toBe('Test lan.reviewer');
    expect(done.steps.map((s) => s.step)).toEqual([
      'received',
      'routed',
      'case-opened',
      'assigned',
      'claimed',
      'no-action',
    ]);
    expect(done.steps.find((s) => s.step === 'assigned')?.ownerName).toBe('Test lan.reviewer');
    expect(await publicStatus(trackingCode)).toBe('no-action');
  });

  it('five reports of one URL fold into one case, and all five reporters see its outcome', async () => {
    const filed = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        i < 2
          ? hotlineReport([scene.urls.folded], { description: `caller ${i}` })
          : fileWebReport({ urls: scene.urls.folded, category: 'grooming', lang: 'en' }).then((r) => {
              expect(r.status, r.html.slice(0, 300)).toBe(201);
              return { id: null, trackingCode: trackingCodeOf(r.html) };
            }),
      ),
    );
    const first = filed[0]!.id!;
    const inCase = await reportWhen(first, 'the folded case', (r) => r.report.subjects[0]?.status === 'case');
    const subject = inCase.report.subjects[0]!;
    expect(subject.reports).toBe(5);
    const second = await readReport(filed[1]!.id!);
    expect(second.report.subjects[0]).toMatchObject({ id: subject.id, caseId: subject.caseId });
    const cases = await scene.world.db.query<{ n: string }>(
      `select count(*) as n from cases where evidence->'report'->>'subjectId' = $1`,
      [subject.id],
    );
    expect(Number(cases.rows[0]?.n)).toBe(1);
    await decide(subject.caseId!, { decision: 'confirm', category: 'B', reason: 'Dụ dỗ trẻ em, xác nhận' });
    await reportWhen(first, 'the folded subject actioned', settled);
    for (const f of filed) expect(await publicStatus(f.trackingCode)).toBe('actioned');
    const done = await readReport(first);
    expect(done.report.subjects[0]!.orderIds.length).toBeGreaterThan(0);
  });

  it('an escalated case: the report follows it to the authority, whose officer decides and owns the outcome', async () => {
    const officer = await enrolPerson(scene.baseUrl, scene.adminKey, {
      tenantId: AUTHORITY,
      login: 'officer.minh',
      role: 'authority',
    });
    const { id } = await hotlineReport([scene.urls.escalated], { category: 'grooming' });
    const inCase = await reportWhen(id, 'a case', (r) => r.report.subjects[0]?.status === 'case');
    await decide(
      inCase.report.subjects[0]!.caseId!,
      { decision: 'escalate', reason: 'Cần cơ quan chức năng quyết định', authorityTenantId: AUTHORITY },
      id,
    );
    const escalated = await reportWhen(id, 'the escalation followed', (r) =>
      r.steps.some((s) => s.step === 'escalated'),
    );
    const escalationId = escalated.report.subjects[0]!.caseId!;
    expect(escalationId).not.toBe(inCase.report.subjects[0]!.caseId);
    expect(escalated.report.status).toBe('assessing');
    const claimed = await officer.session.call('POST', `/v1/cases/${escalationId}/claim`);
    expect(claimed.status, claimed.bytes.toString()).toBe(200);
    const decided = await officer.session.call('POST', `/v1/cases/${escalationId}/decision`, {
      body: { decision: 'confirm', category: 'B', reason: 'Xác nhận: dụ dỗ trẻ em' },
    });
    expect(decided.status, decided.bytes.toString()).toBe(200);
    const done = await reportWhen(id, 'actioned by the authority', settled);
    expect(done.report).toMatchObject({ status: 'actioned', outcomeReason: 'Xác nhận: dụ dỗ trẻ em' });
    expect(done.report.subjects[0]!.orderIds.length).toBeGreaterThan(0);
    expect(done.steps.at(-1)).toMatchObject({
      step: 'actioned',
      owner: officer.personId,
      ownerName: 'Test officer.minh',
    });
    expect(done.steps.find((s) => s.step === 'escalated')?.owner).toBe(scene.reviewer.personId);
  });

  it("the programme's figures: received, handled, within the deadline, per channel and category; metrics too", async () => {
    const stats = await hotline('GET', '/v1/report-stats');
    expect(stats.status).toBe(200);
    const body = stats.json<{
      received: number;
      handled: number;
      shareHandledWithinDeadline: number;
      medianSecondsToOutcome: number;
      byChannel: { channel: string; received: number; handled: number; medianSecondsToOutcome: number }[];
      byCategory: { category: string; actioned: number; noAction: number }[];
    }>();
    expect(body.received).toBe(9);
    expect(body.handled).toBe(9);
    expect(body.shareHandledWithinDeadline).toBe(1);
    expect(body.medianSecondsToOutcome).toBeGreaterThan(0);
    expect(body.byChannel).toEqual([
      expect.objectContaining({ channel: 'hotline', received: 5, handled: 5 }),
      expect.objectContaining({ channel: 'web', received: 4, handled: 4 }),
    ]);
    // Every report was handled: each channel has its median time to outcome.
    for (const c of body.byChannel) expect(c.medianSecondsToOutcome).toBeGreaterThan(0);
    expect(body.byCategory).toEqual(
      expect.arrayContaining([expect.objectContaining({ category: 'other', actioned: 0, noAction: 1 })]),
    );
    const metrics = await scene.pipeline.registries.api.metrics();
    expect(metrics).toMatch(/mod_reports_received_total\{channel="web"[^}]*\} 4\n/);
    expect(metrics).toMatch(/mod_reports_received_total\{channel="hotline"[^}]*\} 5\n/);
    expect(metrics).toMatch(/mod_reports_open\{channel="hotline"[^}]*\} 0\n/);
    // Every filing is in the audit log, and who filed it.
    const filedRecords = (await listAudit(scene.world.db, { limit: 10_000 })).filter(
      (r) => r.action === 'report.filed',
    );
    expect(filedRecords).toHaveLength(9);
  });

  it("contact details: sealed at rest, the hotline's people alone read them (not its key), and each read is audited", async () => {
    const secret = 'Nguyễn Văn Thành 0912 345 678';
    const { id } = await hotlineReport([scene.urls.benign], {
      contact: { name: 'Nguyễn Văn Thành', phone: '0912 345 678' },
      consents: { contact: true, followUp: true },
    });
    const { rows } = await scene.world.db.query<{ sealed: Buffer }>(
      `select sealed from report_contacts where report_id = $1`,
      [id],
    );
    expect(rows[0]!.sealed.toString('utf8')).not.toContain('0912');
    expect(rows[0]!.sealed.includes(Buffer.from(secret.slice(0, 10)))).toBe(false);
    // The call centre's key filed it, but reads nothing back: who read a reporter's details must be a person.
    expect((await hotline('GET', `/v1/reports/${id}/contact`)).refusal()).toEqual([
      403,
      'MOD_ERR_API_SESSION_REQUIRED',
    ]);
    const operator = await enrolPerson(scene.baseUrl, scene.adminKey, {
      tenantId: HOTLINE,
      login: 'mai.operator',
      role: 'hotline',
    });
    const read = await operator.session.call('GET', `/v1/reports/${id}/contact`);
    expect(read.json()).toMatchObject({
      name: 'Nguyễn Văn Thành',
      phone: '0912 345 678',
      consents: { followUp: true },
    });
    const byReviewer = await scene.reviewer.session.call('GET', `/v1/reports/${id}/contact`);
    expect(byReviewer.refusal()).toEqual([403, 'MOD_ERR_API_FORBIDDEN']);
    const reads = (await listAudit(scene.world.db, { limit: 10_000 })).filter(
      (r) => r.action === 'report.contact.read' && r.subject.id === id,
    );
    expect(reads.map((r) => r.actor)).toEqual([{ kind: 'person', id: operator.personId }]);
  });

  it('a reported page showing a bank image: its images are scanned and the match becomes orders', async () => {
    const subject = await actionedPage(scene.urls.pageKnown);
    expect(subject.orderIds.length).toBeGreaterThan(0);
    expect(subject.outcomeReason).toContain(`/photos/embedded.jpg`);
    // The commented-out image was never fetched; the srcset's largest candidate was.
    expect(scene.server.requests).toContain('/photos/embedded.jpg');
    expect(scene.server.requests).not.toContain('/x.jpg');
  });

  it('a reported page inlining a bank image (a data: URI) is actioned, its takedown naming the page', async () => {
    const subject = await actionedPage(scene.urls.pageInline);
    // The image has no URL of its own: the match's orders are about the page that shows it.
    const { rows } = await scene.world.db.query<{
      kind: string;
      subject_type: string;
      subject_value: string;
    }>(`select kind, subject_type, subject_value from orders where id = any($1::uuid[])`, [subject.orderIds]);
    expect(rows).toContainEqual({
      kind: 'takedown',
      subject_type: 'url',
      subject_value: scene.urls.pageInline,
    });
  });

  it('a reported page of benign images becomes a case listing the images scanned, at most the cap', async () => {
    const { id } = await hotlineReport([scene.urls.pageBenign], { category: 'other' });
    const inCase = await reportWhen(
      id,
      'a case for the page',
      (r) => r.report.subjects[0]?.status === 'case',
    );
    expect(inCase.steps.find((s) => s.step === 'case-opened')?.note).toBe(
      'a page: 2 of the 2 images it shows scanned, no known match; 1 more it shows not scanned (beyond the cap, refused by the fetcher, inline or not http(s))',
    );
    const { rows } = await scene.world.db.query<{
      evidence: {
        embeddedImages: { url: string; status: string; source?: string }[];
        embeddedImagesShown: number;
      };
    }>(`select evidence from cases where id = $1`, [inCase.report.subjects[0]!.caseId]);
    const media = scene.urls.known.replace('/known.jpg', '');
    // Each says where the page shows it: an img, a CSS background.
    expect(rows[0]!.evidence.embeddedImages.map((e) => [e.url, e.status, e.source])).toEqual([
      [`${media}/benign-1.jpg`, 'scanned', 'img'],
      [`${media}/benign-2.jpg`, 'scanned', 'css'],
    ]);
    // The third image is beyond the cap (PAGE_MAX_IMAGES=2): never fetched, and the case says the page shows it.
    expect(scene.server.requests).not.toContain('/photos/benign-3.jpg');
    expect(rows[0]!.evidence.embeddedImagesShown).toBe(3);
  });
});
