import { describe, expect, it } from 'vitest';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import { asPerson, signedInPerson } from './cases.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * Citizens' reports attacked from inside: a platform of one tenant trying every route and query parameter to
 * reach another tenant's report (ids in paths, filters, the paging cursor), roles that must never read contact
 * details, and contact details looked for in the clear wherever a report leaves a trace (audit records, the
 * outbox that feeds Kafka, the answers other callers get).
 */
const api = useCallersWorld(
  {
    platA: ['iso-plat-a', 'platform'],
    platB: ['iso-plat-b', 'platform'],
    hotline: ['iso-hotline', 'hotline'],
    authority: ['iso-auth', 'authority'],
    reviewer: ['iso-review', 'reviewer'],
  },
  { build: { reports: TEST_REPORT_SETTINGS } },
);

const PHONE = '0912 345 678';
const NAME = 'Nguyễn Văn Bí Mật';
const SCRIPT = '<img src=x onerror=alert(1)>';

interface Listed {
  reports: { id: string; description: string | null }[];
}

describe("citizens' reports: times a caller makes up", () => {
  it('refuses a leap second (valid RFC 3339 that no Date reads) in the list and the figures with 400', async () => {
    const leap = encodeURIComponent('2030-06-30T23:59:60Z');
    for (const [key, query] of [
      [api.keys.platA, `/v1/reports?beforeReceivedAt=${leap}&beforeId=${crypto.randomUUID()}`],
      [api.keys.authority, `/v1/report-stats?from=${leap}`],
      [api.keys.authority, `/v1/report-stats?to=${leap}`],
    ] as const) {
      const res = await api.call(key, 'GET', query);
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code], query).toEqual([
        400,
        'MOD_ERR_API_VALIDATION',
      ]);
    }
  });
});

describe("citizens' reports: one tenant against another's", () => {
  it("a platform never reaches another tenant's report, its steps or anyone's contact details", async () => {
    const file = async (key: string, body: Record<string, unknown>) => {
      const res = await api.call(key, 'POST', '/v1/reports', body);
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string; trackingCode: string }>();
    };
    const theirs = await file(api.keys.platB, {
      urls: ['https://isolation.example/shared.jpg'],
      category: 'grooming',
      description: `B's words ${SCRIPT}`,
      contact: { name: NAME, phone: PHONE },
      consents: { contact: true, followUp: true },
    });
    // A's report of the same URL joins B's open subject.
    const mine = await file(api.keys.platA, {
      urls: ['https://isolation.example/shared.jpg', 'https://isolation.example/own.jpg'],
      category: 'other',
      description: "A's words",
    });

    const seesTheirs = (body: string) =>
      body.includes(theirs.id) || body.includes("B's words") || body.includes(theirs.trackingCode);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    for (const query of [
      'limit=200',
      'status=received&limit=200',
      'channel=platform&limit=200',
      `beforeReceivedAt=${encodeURIComponent(future)}&beforeId=${theirs.id}&limit=200`,
    ]) {
      const res = await api.call(api.keys.platA, 'GET', `/v1/reports?${query}`);
      expect(res.statusCode, query).toBe(200);
      expect(
        res.json<Listed>().reports.map((r) => r.id),
        query,
      ).toContain(mine.id);
      expect(seesTheirs(res.body), query).toBe(false);
    }
    const direct = await api.call(api.keys.platA, 'GET', `/v1/reports/${theirs.id}`);
    expect([direct.statusCode, direct.json<{ error: { code: string } }>().error.code]).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    // Its own report shows the shared subject, never the other report's steps or words.
    const own = await api.call(api.keys.platA, 'GET', `/v1/reports/${mine.id}`);
    expect(own.statusCode).toBe(200);
    expect(seesTheirs(own.body)).toBe(false);
    expect(own.body).not.toContain(PHONE);

    // Contact details: the hotline's alone, whoever's report it is; a platform, a reviewer, an authority: 403.
    for (const key of [api.keys.platA, api.keys.platB, api.keys.reviewer, api.keys.authority])
      expect((await api.call(key, 'GET', `/v1/reports/${theirs.id}/contact`)).statusCode).toBe(403);
    expect((await api.call(api.keys.authority, 'GET', '/v1/reports?limit=200')).statusCode).toBe(403);
    // The figures name no report and carry no words.
    const stats = await api.call(api.keys.authority, 'GET', '/v1/report-stats');
    expect(stats.statusCode).toBe(200);
    expect(seesTheirs(stats.body) || stats.body.includes(mine.id)).toBe(false);

    // The hotline's people alone, never a machine's key, the hotline's neither: the record of who read them must
    // name a person, and the call centre's software has the caller's details from the call already.
    const byKey = await api.call(api.keys.hotline, 'GET', `/v1/reports/${theirs.id}/contact`);
    expect(statusAndCode(byKey)).toEqual([403, 'MOD_ERR_API_SESSION_REQUIRED']);
    expect(byKey.body).not.toContain(PHONE);
    const operator = await signedInPerson(api.db, 'iso-hotline', 'hotline', 'iso-operator');
    const read = await asPerson(api.app, operator, 'GET', `/v1/reports/${theirs.id}/contact`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      name: NAME,
      phone: PHONE,
      consents: { contact: true, followUp: true },
    });
    // Operators see the words as data (JSON), never as markup of theirs.
    const detail = await api.call(api.keys.reviewer, 'GET', `/v1/reports/${theirs.id}`);
    expect(detail.headers['content-type']).toContain('application/json');
    expect(detail.json<{ report: { description: string } }>().report.description).toBe(`B's words ${SCRIPT}`);

    // Never in the clear where a report leaves a trace: the audit log (its read is there), the outbox to Kafka.
    const records = await api.db.query<{ record: string }>('select record from audit_records');
    const reads = records.rows.filter(
      (r) => r.record.includes('report.contact.read') && r.record.includes(theirs.id),
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]!.record).toContain(operator.personId);
    const outbox = await api.db.query<{ payload: unknown }>('select payload from outbox');
    for (const trace of [
      ...records.rows.map((r) => r.record),
      ...outbox.rows.map((r) => JSON.stringify(r.payload)),
    ]) {
      expect(trace).not.toContain(PHONE);
      expect(trace).not.toContain(NAME);
    }
    const stored = await api.db.query<{ sealed: Buffer }>(
      'select sealed from report_contacts where report_id = $1',
      [theirs.id],
    );
    expect(stored.rows[0]?.sealed.toString('utf8')).not.toContain(PHONE);
  });
});

describe("citizens' reports: the hotline's machine key", () => {
  it('reads the reports its tenant filed, never a citizen’s or a platform’s; the hotline’s people read them all', async () => {
    const [byPlatform, byCallCentre] = [
      await api.call(api.keys.platB, 'POST', '/v1/reports', {
        urls: ['https://isolation.example/platform-only.jpg'],
        category: 'other',
        description: 'what the platform said',
      }),
      await api.call(api.keys.hotline, 'POST', '/v1/reports', {
        urls: ['https://isolation.example/phoned-in.jpg'],
        category: 'other',
        description: 'what the caller said',
      }),
    ].map((r) => {
      expect(r.statusCode, r.body).toBe(201);
      return r.json<{ id: string }>().id;
    }) as [string, string];
    const listed = await api.call(api.keys.hotline, 'GET', '/v1/reports?limit=200');
    expect(listed.statusCode).toBe(200);
    const ids = listed.json<Listed>().reports.map((r) => r.id);
    expect(ids).toContain(byCallCentre);
    expect(ids).not.toContain(byPlatform);
    expect(listed.body).not.toContain('what the platform said');
    expect(statusAndCode(await api.call(api.keys.hotline, 'GET', `/v1/reports/${byPlatform}`))).toEqual([
      404,
      'MOD_ERR_API_NOT_FOUND',
    ]);
    expect((await api.call(api.keys.hotline, 'GET', `/v1/reports/${byCallCentre}`)).statusCode).toBe(200);
    // The hotline's operators (people) work every report, in one queue.
    const operator = await signedInPerson(api.db, 'iso-hotline', 'hotline', 'iso-queue-operator');
    const queue = await asPerson(api.app, operator, 'GET', '/v1/reports?limit=200');
    expect(queue.json<Listed>().reports.map((r) => r.id)).toEqual(
      expect.arrayContaining([byPlatform, byCallCentre]),
    );
    expect((await asPerson(api.app, operator, 'GET', `/v1/reports/${byPlatform}`)).statusCode).toBe(200);
  });
});
