import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '@mod/db/orders';
import { useCallersWorld } from './callers-world.test-helper.js';
import { signedInPerson, type SignedIn } from './cases.test-helper.js';
import { listenOnLoopback, type HttpCaller } from './over-http.test-helper.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';

/**
 * A reviewer of an authority tenant (RolesByTenantKind lets an authority hold reviewers, to review cases) is no
 * oversight: it reads no citizen's report (403, in the reader's language), only what is referred to its authority,
 * and sees the orders its authority sees, not another authority's. Over HTTP on 127.0.0.1, against PostgreSQL.
 */
const api = useCallersWorld(
  {
    platform: ['ar-plat', 'platform'],
    authA: ['ar-auth-a', 'authority'],
    authB: ['ar-auth-b', 'authority'],
    authReviewer: ['ar-auth-a', 'reviewer'],
    hotlineReviewer: ['ar-hotline', 'reviewer'],
    adminReviewer: ['ar-ops', 'reviewer'],
  },
  {
    tenants: {
      'ar-auth-a': 'authority',
      'ar-auth-b': 'authority',
      'ar-hotline': 'hotline',
      'ar-ops': 'admin',
    },
    build: { reports: TEST_REPORT_SETTINGS },
  },
);

type Call = Awaited<ReturnType<typeof listenOnLoopback>>;
let call: Call;
let authPerson: SignedIn;
let hotlinePerson: SignedIn;
let reportId: string;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  // A reviewer person of the authority, and one of the hotline.
  [authPerson, hotlinePerson] = await Promise.all([
    signedInPerson(api.db, 'ar-auth-a', 'reviewer', 'ar-auth-a.reviewer'),
    signedInPerson(api.db, 'ar-hotline', 'reviewer', 'ar-hotline.reviewer'),
  ]);
  const filed = await call(api.keys.platform, 'POST', '/v1/reports', {
    urls: ['https://authority-reviewer.example/photo.jpg'],
    category: 'other',
    description: 'what the platform was told',
  });
  expect(filed.status).toBe(201);
  reportId = filed.json<{ id: string }>().id;
});

const english = (who: SignedIn): HttpCaller => ({ headers: { ...who.headers, 'accept-language': 'en' } });

describe("an authority tenant's reviewer and citizens' reports", () => {
  it('is refused every report route with 403 MOD_ERR_API_FORBIDDEN, in Vietnamese or English', async () => {
    const routes = [
      ['GET', '/v1/reports'],
      ['GET', `/v1/reports/${reportId}`],
      ['GET', `/v1/reports/${reportId}/referrals`],
      ['POST', `/v1/reports/${reportId}/owner`],
    ] as const;
    for (const [method, path] of routes) {
      for (const who of [api.keys.authReviewer, authPerson.headers]) {
        const caller: HttpCaller = typeof who === 'string' ? who : { headers: who };
        const res = await call(caller, method, path, method === 'POST' ? {} : undefined);
        // Key callers of session-only routes are refused earlier (session required): still a refusal.
        expect([path, res.status]).toEqual([path, 403]);
        if (typeof who !== 'string') expect(res.code).toBe('MOD_ERR_API_FORBIDDEN');
      }
    }
    const vi = await call(api.keys.authReviewer, 'GET', `/v1/reports/${reportId}`);
    expect(vi.code).toBe('MOD_ERR_API_FORBIDDEN');
    expect(vi.json<{ error: { message: string } }>().error.message).toContain('Báo cáo của người dân');
    const en = await call(english(authPerson), 'GET', '/v1/reports');
    expect(en.json<{ error: { message: string } }>().error.message).toContain("Citizens' reports");
    expect(en.bytes.toString()).not.toContain('what the platform was told');
  });

  it('leaves hotline and admin reviewers reading every report, and the authority reviewer its cases', async () => {
    for (const who of [
      api.keys.hotlineReviewer,
      api.keys.adminReviewer,
      { headers: hotlinePerson.headers },
    ]) {
      const one = await call(who, 'GET', `/v1/reports/${reportId}`);
      expect(one.status).toBe(200);
      expect(one.json<{ report: { description: string } }>().report.description).toBe(
        'what the platform was told',
      );
    }
    expect((await call(api.keys.hotlineReviewer, 'GET', '/v1/reports')).status).toBe(200);
    // The review queue is still theirs: the reviewer role's purpose.
    expect((await call(api.keys.authReviewer, 'GET', '/v1/cases')).status).toBe(200);
  });
});

describe("an authority tenant's reviewer and orders", () => {
  it("sees the orders its authority sees, never another authority's", async () => {
    const byHand = async (key: string) => {
      const res = await call(key, 'POST', '/v1/orders', {
        kind: 'takedown',
        targetTenantId: 'ar-plat',
        subject: { type: 'url', value: `https://bad.example/${randomBytes(8).toString('hex')}` },
        legalBasisId: 'vn-decree-147-request',
      });
      expect(res.status).toBe(201);
      return res.json<Order>().id;
    };
    const ofA = await byHand(api.keys.authA);
    const ofB = await byHand(api.keys.authB);
    const listed = async (key: string) =>
      (await call(key, 'GET', '/v1/orders?limit=100')).json<{ orders: Order[] }>().orders.map((o) => o.id);

    expect(await listed(api.keys.authReviewer)).toContain(ofA);
    expect(await listed(api.keys.authReviewer)).not.toContain(ofB);
    expect((await call(api.keys.authReviewer, 'GET', `/v1/orders/${ofA}`)).status).toBe(200);
    const other = await call(api.keys.authReviewer, 'GET', `/v1/orders/${ofB}`);
    expect([other.status, other.code]).toEqual([404, 'MOD_ERR_API_NOT_FOUND']);
    // Oversight reviewers still see both.
    for (const key of [api.keys.hotlineReviewer, api.keys.adminReviewer])
      expect(await listed(key)).toEqual(expect.arrayContaining([ofA, ofB]));
  });
});
