import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@mod/db/access';
import { moveSubjectToCase } from '@mod/db/reports';
import { evidenceItemId } from '@mod/vault';
import { useCallersWorld } from './callers-world.test-helper.js';
import { asPerson, seedReviewCase, signedInPerson, type SignedIn } from './cases.test-helper.js';
import { seedMatrixReport } from './reports-testing.test-helper.js';
import { callAs, openTestOrder } from './testing.test-helper.js';

/**
 * Reviewers are oversight only in the programme operator's tenants (hotline, admin). A reviewer of another tenant
 * reads and works the cases its tenant may see, and their evidence: an authority's, the review cases tied to its
 * authority (about content behind its order, or a citizen's report referred to it); a platform's (which the API
 * never issues: RolesByTenantKind, so made here in the database), the cases about its own submissions. Any other
 * case, its evidence and its proposals answer 404 and are not listed. Real routes against PostgreSQL.
 */
const tenants = { 'br-auth-a': 'authority', 'br-auth-b': 'authority', 'br-plat': 'platform' } as const;
// The hotline reviewer's tenant is made a hotline (`KIND_OF_ROLE`).
const api = useCallersWorld(
  { authReviewer: ['br-auth-a', 'reviewer'], hotlineReviewer: ['br-hotline', 'reviewer'] },
  { tenants },
);

/** A review case of `tenantId`'s content with its media kept: its id and its evidence item's. */
async function reviewCase(
  tenantId: string,
): Promise<{ caseId: string; submissionId: string; evidenceId: string }> {
  const made = await seedReviewCase(api.db, api.world.vault, { tenantId, score: 0.9 });
  return { ...made, evidenceId: evidenceItemId(tenantId, made.submissionId) };
}

/** A review case of the hotline's content (a citizen's report's URL) for a report referred to `authority`. */
async function referredCase(authority: string) {
  const made = await reviewCase('br-hotline');
  const reportId = await seedMatrixReport(api.db, { tenantId: 'br-hotline', referredTo: authority });
  const { rows } = await api.db.query<{ subject_id: string }>(
    'select subject_id from report_urls where report_id = $1',
    [reportId],
  );
  await moveSubjectToCase(api.db, {
    id: rows[0]!.subject_id,
    caseId: made.caseId,
    submissionId: made.submissionId,
    at: new Date(),
    note: 'test',
  });
  return made;
}

/** A review case of the platform's media behind an order `authority` issued by hand. */
async function orderedCase(authority: string) {
  const made = await reviewCase('br-plat');
  await openTestOrder(api.world, {
    targetTenantId: 'br-plat',
    issuer: { kind: 'authority', id: authority },
    issuerTenantId: authority,
    submissionId: made.submissionId,
  });
  return made;
}

type Case = Awaited<ReturnType<typeof reviewCase>>;
let person: SignedIn;
let platformReviewer: string;
let cases: Record<'ordered' | 'referred' | 'referredToB' | 'orderedByB' | 'untied', Case>;
beforeAll(async () => {
  person = await signedInPerson(api.db, 'br-auth-a', 'reviewer', 'br-auth-a.reviewer');
  platformReviewer = (await createApiKey(api.db, { tenantId: 'br-plat', role: 'reviewer' })).key;
  cases = {
    ordered: await orderedCase('br-auth-a'),
    referred: await referredCase('br-auth-a'),
    referredToB: await referredCase('br-auth-b'),
    orderedByB: await orderedCase('br-auth-b'),
    untied: await reviewCase('br-plat'),
  };
});

/** GET `url` as a key or a person. */
const read = (who: string | SignedIn, url: string) =>
  typeof who === 'string' ? callAs(api.app, who, 'GET', url) : asPerson(api.app, who, 'GET', url);

/** What `who` reads of each case: its read, its evidence item, and whether the queue lists it. */
async function reach(who: string | SignedIn): Promise<Record<string, [number, number, boolean]>> {
  const listed = await read(who, '/v1/cases?status=all&limit=100');
  expect(listed.statusCode).toBe(200);
  const ids = listed.json<{ cases: { id: string }[] }>().cases.map((c) => c.id);
  const out: Record<string, [number, number, boolean]> = {};
  for (const [name, c] of Object.entries(cases)) {
    const one = await read(who, `/v1/cases/${c.caseId}`);
    const item = await read(who, `/v1/evidence/${c.evidenceId}`);
    out[name] = [one.statusCode, item.statusCode, ids.includes(c.caseId)];
    if (one.statusCode === 404)
      expect(one.json<{ error: { code: string } }>().error.code).toBe('MOD_ERR_API_NOT_FOUND');
  }
  return out;
}

describe('a reviewer bound to its tenant', () => {
  it("of an authority reads the cases tied to its authority's orders and referred reports; others are 404", async () => {
    const tied: [number, number, boolean] = [200, 200, true];
    const outside: [number, number, boolean] = [404, 404, false];
    const want = {
      ordered: tied,
      referred: tied,
      referredToB: outside,
      orderedByB: outside,
      untied: outside,
    };
    expect(await reach(api.keys.authReviewer)).toEqual(want);
    expect(await reach(person)).toEqual(want);
    // The evidence listing follows: nothing of a case outside, the item of one inside.
    for (const [c, n] of [
      [cases.untied, 0],
      [cases.referred, 1],
    ] as const) {
      const listed = await read(person, `/v1/evidence?submissionId=${c.submissionId}`);
      expect(listed.json<{ items: unknown[] }>().items).toHaveLength(n);
    }
  });

  it('of an authority cannot claim or decide a case outside (404), and works one tied to it', async () => {
    for (const c of [cases.untied, cases.referredToB])
      for (const [path, body] of [
        ['claim', {}],
        ['decision', { decision: 'dismiss', reason: 'not mine' }],
      ] as const) {
        const res = await asPerson(api.app, person, 'POST', `/v1/cases/${c.caseId}/${path}`, body);
        expect([path, res.statusCode]).toEqual([path, 404]);
      }
    expect(
      (await asPerson(api.app, person, 'POST', `/v1/cases/${cases.referred.caseId}/claim`, {})).statusCode,
    ).toBe(200);
  });

  it("of a platform reads its own submissions' cases only; the operator's reviewers read every case", async () => {
    const own: [number, number, boolean] = [200, 200, true];
    const outside: [number, number, boolean] = [404, 404, false];
    expect(await reach(platformReviewer)).toEqual({
      ordered: own,
      referred: outside,
      referredToB: outside,
      orderedByB: own,
      untied: own,
    });
    const every = await reach(api.keys.hotlineReviewer);
    for (const name of Object.keys(cases)) expect([name, ...every[name]!]).toEqual([name, 200, 200, true]);
  });
});
