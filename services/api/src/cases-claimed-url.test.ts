import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapHostToPlatform } from '@mod/db/orders';
import { decisionWritten } from '@mod/testing';
import type { SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';

// A reviewer's confirmation of media a platform submitted with a URL in its metadata (a claim, never fetched by the
// system): the takedown goes to the platform itself when the URL is on its own host, never to another platform's.
// Before, plat-1 claiming plat-2's URL had plat-2 sent a takedown. Real PostgreSQL, real routes, people signed in.

let ana: SignedIn;
const { api, people, seedCase, claimAndDecide } = useReviewWorld(
  {},
  {
    people: ['ana'],
    tenants: [
      { id: 'plat-2', kind: 'platform', name: 'Platform 2' },
      { id: 'isp-claimed', kind: 'isp', name: 'ISP', subscribedToBlocking: true },
    ],
  },
);
beforeAll(async () => {
  ({ ana } = people);
  await mapHostToPlatform(api.db, 'cdn.plat2.example', 'plat-2');
});

/** plat-1's review case with `url` claimed, confirmed by the reviewer: its orders, confirmation case and audit. */
async function confirmed(url: string) {
  const { caseId, submissionId } = await seedCase({ url });
  await claimAndDecide(ana, caseId, { decision: 'confirm', category: 'A', reason: 'seen: abusive' });
  return decisionWritten(api.db, submissionId, { subjectId: caseId, action: 'case.confirmed' });
}

describe("a reviewer's confirmation of media with a claimed URL", () => {
  it('sends no takedown to another platform whose host the URL names, and says why in the case and the audit', async () => {
    const url = `https://cdn.plat2.example/${randomBytes(4).toString('hex')}.jpg`;
    const withheld = {
      reason: 'claimed-url-of-another-platform',
      url,
      host: 'cdn.plat2.example',
      platformTenantId: 'plat-2',
      submitterTenantId: 'plat-1',
    };
    // The blocking order only; the authority's case and the person's audit record say which takedown was not sent.
    expect(await confirmed(url)).toMatchObject({
      orders: [['blocking', 'isp-claimed']],
      confirm: {
        reason: expect.stringContaining('no takedown sent to plat-2') as unknown,
        evidence: { takedownWithheld: withheld },
      },
      audited: { takedownWithheld: withheld },
    });
  });

  it('sends the platform its own takedown for a URL on its own host, as before', async () => {
    const done = await confirmed(`https://cdn.plat1.example/${randomBytes(4).toString('hex')}.jpg`);
    expect(done.orders).toEqual([
      ['blocking', 'isp-claimed'],
      ['takedown', 'plat-1'],
    ]);
    expect(done.confirm?.evidence['takedownWithheld']).toBeUndefined();
    expect(done.audited['takedownWithheld']).toBeUndefined();
  });
});
