import { beforeAll, describe, expect, it } from 'vitest';
import { auditEvidence, listAudit } from '@mod/db/audit';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpAnswer, type HttpCaller } from './over-http.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';

/**
 * Every read of a citizen's report by the programme's operators (the hotline's people, reviewers, admins) is on the
 * audit record, as an authority's reads of referred reports are: each report read (`report.read`, naming the
 * reader and the report), each list page once (`report.list_read`, with its filter and how many), never a refused
 * read. Over HTTP on loopback, against PostgreSQL.
 */
const api = useCallersWorld(castCallers('admin', 'reviewer'), {
  tenants: { 'hotline-1': 'hotline' },
  build: { reports: TEST_REPORT_SETTINGS },
});

let call: (who: HttpCaller, method: string, path: string, body?: unknown) => Promise<HttpAnswer>;
let lan: SignedIn;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  lan = await signedInPerson(api.db, 'hotline-1', 'hotline', 'reads.lan');
});

const recordsOf = async (subjectId: string, action: string) =>
  (await listAudit(api.db, { subjectId })).filter((r) => r.action === action);

describe("operators' reads of citizens' reports", () => {
  it('puts each read of a report on the audit record with its reader, never a refused read', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    expect(await recordsOf(id, 'report.read')).toEqual([]);
    expect((await call(lan, 'GET', `/v1/reports/${id}`)).status).toBe(200);
    expect((await call(api.keys.admin, 'GET', `/v1/reports/${id}`)).status).toBe(200);
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await call(lan, 'GET', `/v1/reports/${missing}`)).status).toBe(404);

    const reads = await recordsOf(id, 'report.read');
    expect(reads.map((r) => [r.actor.kind, r.actor.id, r.role, r.tenantId])).toEqual([
      ['person', lan.personId, 'hotline', 'hotline-1'],
      ['user', expect.any(String), 'admin', 'ops'],
    ]);
    expect(reads[0]?.subject).toEqual({ type: 'report', id });
    expect(Number.isNaN(Date.parse(reads[0]?.at ?? ''))).toBe(false);
    expect(await recordsOf(missing, 'report.read')).toEqual([]);
  });

  it('puts each list page read on the record once, with its filter and count, not once per report', async () => {
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    const before = (await recordsOf('hotline-1', 'report.list_read')).length;
    const list = await call(lan, 'GET', '/v1/reports?limit=1&status=received&channel=hotline');
    expect(list.status, list.bytes.toString()).toBe(200);
    const listed = list.json<{ reports: { id: string }[] }>().reports;

    const pages = await recordsOf('hotline-1', 'report.list_read');
    expect(pages).toHaveLength(before + 1);
    const page = pages.at(-1)!;
    expect(page).toMatchObject({
      actor: { kind: 'person', id: lan.personId },
      role: 'hotline',
      tenantId: 'hotline-1',
      subject: { type: 'tenant', id: 'hotline-1' },
    });
    const documents = (await auditEvidence(api.db, page.seq)) ?? [];
    expect(Object.fromEntries(documents.map((d) => [d.name, JSON.parse(d.document) as unknown]))).toEqual({
      status: 'received',
      channel: 'hotline',
      limit: 1,
      beforeReceivedAt: null,
      beforeId: null,
      reports: listed.length,
    });
    // A reviewer's page: its own record, under its own name.
    expect((await call(api.keys.reviewer, 'GET', '/v1/reports')).status).toBe(200);
    const reviewerPages = (await listAudit(api.db, { subjectId: 'hotline-1' })).filter(
      (r) => r.action === 'report.list_read' && r.role === 'reviewer',
    );
    expect(reviewerPages).toHaveLength(1);
    // A page read is not a read of each report on it.
    expect(await recordsOf(id, 'report.read')).toEqual([]);
  });
});
