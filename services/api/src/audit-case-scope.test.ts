import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit, signTreeHeadIfDue } from '@mod/db/audit';
import { asPerson, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// The audit records about a case are read as the case is (`caseScopeWhere`): the authority an escalation is
// addressed to reads the records of the case it works, its own decision first; another authority reads none.
// Real PostgreSQL, real routes, people signed in.

let ana: SignedIn, officer1: SignedIn, officer2: SignedIn;
const { api, people, seedCase, claimAndDecide } = useReviewWorld(
  {},
  { people: ['ana', 'officer1', 'officer2'] },
);
beforeAll(() => ({ ana, officer1, officer2 } = people));

describe('audit records about an escalation', () => {
  it('are the authority’s that worked it, and no other authority’s', async () => {
    const { caseId } = await seedCase();
    const escalated = await claimAndDecide(ana, caseId, {
      decision: 'escalate',
      reason: 'for the authority',
      authorityTenantId: 'auth-1',
    });
    const { escalationId } = escalated.json<{ escalationId: string }>();
    await claimAndDecide(officer1, escalationId, {
      decision: 'dismiss',
      reason: 'officer1-reason-5150',
    });
    const [decision] = (await listAudit(api.db, { subjectId: escalationId })).filter(
      (r) => r.action === 'case.dismissed',
    );
    if (decision === undefined) throw new Error('no case.dismissed record');
    const head = await signTreeHeadIfDue(api.db, {
      key: api.world.auditKey,
      schedule: { everyRecords: 1, everyMs: 0 },
      topic: null,
      force: true,
    });
    expect(head).not.toBeNull();

    expect((await asPerson(api.app, officer1, 'GET', `/v1/cases/${escalationId}`)).statusCode).toBe(200);
    expect((await asPerson(api.app, officer2, 'GET', `/v1/cases/${escalationId}`)).statusCode).toBe(404);
    for (const path of ['inclusion-proof', 'evidence']) {
      const url = `/v1/audit/records/${decision.seq}/${path}`;
      const own = await asPerson(api.app, officer1, 'GET', url);
      expect(own.statusCode, `${path}: ${own.body}`).toBe(200);
      expect((await asPerson(api.app, officer2, 'GET', url)).statusCode, path).toBe(404);
    }
    const mine = await asPerson(api.app, officer1, 'GET', `/v1/audit/export?ref=${escalationId}`);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.body).toContain('officer1-reason-5150');
    const theirs = await asPerson(api.app, officer2, 'GET', `/v1/audit/export?ref=${escalationId}`);
    expect(theirs.statusCode, theirs.body).toBe(200);
    expect(theirs.body).not.toContain('officer1-reason-5150');
  });
});
