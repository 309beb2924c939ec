import { beforeAll, describe, expect, it } from 'vitest';
import { castCallers, useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback, type HttpAnswer, type HttpCaller } from './over-http.test-helper.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';

/**
 * An authority's holds on reports no longer referred to it (`GET /v1/referred-reports/held`), a page at a time:
 * before, the list stopped at 200 with no way to the rest. 205 holds, a third of them placed at one instant: pages
 * of 200 and of 7 give each hold exactly once, newest first then by id, the last page saying there is no next; a
 * cursor this API did not issue is refused 400 MOD_ERR_API_BAD_CURSOR; one report is asked for by its id. Over
 * HTTP on loopback against PostgreSQL.
 */
const api = useCallersWorld(castCallers('authA', 'authB'), {
  tenants: { 'hotline-1': 'hotline' },
  build: { reports: TEST_REPORT_SETTINGS },
});

const HOLDS = 205;
let call: (who: HttpCaller, method: string, path: string, body?: unknown) => Promise<HttpAnswer>;
/** The held reports, in the order the list gives them: newest hold first, then by id, newest first. */
let expected: string[] = [];
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
  const ids: string[] = [];
  while (ids.length < HOLDS) {
    const batch = Math.min(25, HOLDS - ids.length);
    ids.push(
      ...(await Promise.all(
        Array.from({ length: batch }, () => seedMatrixReport(api.db, { tenantId: 'hotline-1' })),
      )),
    );
  }
  // Held by auth-a, by id: every third at one shared instant (one transaction's now()), the rest a second apart.
  const { rows } = await api.db.query<{ id: string }>(
    `update reports r set hold_by = 'officer', hold_authority_tenant_id = 'auth-a', hold_reason = 'case 7/2026',
       hold_at = case when h.n % 3 = 0 then timestamptz '2026-11-01 08:00:00.123456+00'
                      else timestamptz '2026-10-01 00:00:00+00' + h.n * interval '1 second' end
     from unnest($1::uuid[]) with ordinality as h(id, n) where r.id = h.id
     returning r.id`,
    [ids],
  );
  expect(rows).toHaveLength(HOLDS);
  const order = await api.db.query<{ id: string }>(
    `select id from reports where hold_authority_tenant_id = 'auth-a' order by hold_at desc, id desc`,
  );
  expected = order.rows.map((r) => r.id);
}, 180_000);

interface Page {
  held: { reportId: string; legalHold: { reason: string } }[];
  nextCursor: string | null;
}
const page = async (who: string, query: string) => {
  const res = await call(who, 'GET', `/v1/referred-reports/held${query}`);
  expect(res.status, res.bytes.toString()).toBe(200);
  return res.json<Page>();
};
/** Every page of `limit`, followed by its cursor, and how many pages it took. */
async function allPages(limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const p: Page = await page(api.keys.authA, query);
    ids.push(...p.held.map((h) => h.reportId));
    cursor = p.nextCursor;
    pages++;
  } while (cursor !== null && pages <= HOLDS);
  return { ids, pages };
}

describe("an authority's held reports, a page at a time", () => {
  it('gives every hold past 200 exactly once, in a stable order, the last page without a next', async () => {
    const big = await allPages(200);
    expect(big.ids).toEqual(expected);
    expect(big.pages).toBe(2);
    // Small pages cross the holds that share one instant (to the microsecond) without repeating or losing any.
    const small = await allPages(7);
    expect(small.ids).toEqual(expected);
    expect(small.pages).toBe(Math.ceil(HOLDS / 7));
    // The first page by default: 50, and a cursor to the rest.
    const first = await page(api.keys.authA, '');
    expect(first.held.map((h) => h.reportId)).toEqual(expected.slice(0, 50));
    expect(first.nextCursor).not.toBeNull();
    // Another authority holds none of them.
    expect(await page(api.keys.authB, '?limit=200')).toEqual({ held: [], nextCursor: null });
  });

  it('refuses a cursor it did not issue with a typed 400, and finds one report by its id', async () => {
    const forged = [
      'not a cursor!',
      Buffer.from('2026-13-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000').toString('base64url'),
      Buffer.from('yesterday|someone').toString('base64url'),
      'x'.repeat(201),
    ];
    for (const cursor of forged) {
      const res = await call(
        api.keys.authA,
        'GET',
        `/v1/referred-reports/held?cursor=${encodeURIComponent(cursor)}`,
      );
      expect([cursor, res.status, res.code]).toEqual([
        cursor,
        400,
        cursor.length > 200 ? 'MOD_ERR_API_VALIDATION' : 'MOD_ERR_API_BAD_CURSOR',
      ]);
    }
    const last = expected.at(-1)!;
    const one = await page(api.keys.authA, `?reportId=${last}`);
    expect(one.held.map((h) => [h.reportId, h.legalHold.reason])).toEqual([[last, 'case 7/2026']]);
    // Not the other authority's to see.
    expect((await page(api.keys.authB, `?reportId=${last}`)).held).toEqual([]);
  });
});
