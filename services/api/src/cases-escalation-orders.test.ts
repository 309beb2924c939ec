import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { asPerson, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// The orders an authority issues by confirming an escalation are its own, as its orders by hand are: a subject an
// open order of another authority covers already gets a request of its own, folded into that order
// (`issueOrderRequest`). Real PostgreSQL, real routes, people signed in.

let ana: SignedIn, officer1: SignedIn, officer2: SignedIn;
const { api, people, seedCase, claim, decide, claimAndDecide } = useReviewWorld(
  {},
  { people: ['ana', 'officer1', 'officer2'] },
);
beforeAll(() => ({ ana, officer1, officer2 } = people));

describe("an authority's confirmation of an escalation", () => {
  it("issues a request of its own, never hands it another authority's order it folded into", async () => {
    const url = `https://cdn.plat1.example/escalated/${randomBytes(6).toString('hex')}.jpg`;
    // Authority 2 ordered the takedown by hand already.
    const byHand = await asPerson(api.app, officer2, 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'plat-1',
      subject: { type: 'url', value: url },
      legalBasisId: 'vn-decree-147-request',
    });
    expect(byHand.statusCode, byHand.body).toBe(201);
    const theirs = byHand.json<{ id: string }>().id;
    const { caseId } = await seedCase({ url });
    expect((await claim(ana, caseId)).statusCode).toBe(200);
    const escalated = await decide(ana, caseId, {
      decision: 'escalate',
      reason: 'for the authority',
      authorityTenantId: 'auth-1',
    });
    const { escalationId } = escalated.json<{ escalationId: string }>();
    const done = await claimAndDecide(officer1, escalationId, {
      decision: 'confirm',
      category: 'A',
      reason: 'abusive',
    });
    const { orderIds } = done.json<{ orderIds: string[] }>();
    expect(orderIds).toHaveLength(1);
    expect(orderIds).not.toContain(theirs);
    const mine = await asPerson(api.app, officer1, 'GET', `/v1/orders/${orderIds[0]!}`);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json()).toMatchObject({ issuerTenantId: 'auth-1', folded: true, subject: { value: url } });
    // Neither authority reads the other's order; the request is on record as folded, in authority 1's name.
    expect((await asPerson(api.app, officer2, 'GET', `/v1/orders/${orderIds[0]!}`)).statusCode).toBe(404);
    expect((await asPerson(api.app, officer1, 'GET', `/v1/orders/${theirs}`)).statusCode).toBe(404);
    const records = await listAudit(api.db, { subjectId: orderIds[0]! });
    expect(records.map((r) => [r.action, r.actor])).toEqual([
      ['order.folded', { kind: 'person', id: officer1.personId }],
    ]);
  });
});
