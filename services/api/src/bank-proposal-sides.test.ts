import { describe, expect, it } from 'vitest';
import { addEntries } from '@mod/curation';
import { asPerson, photoSha256, type SignedIn } from './cases.test-helper.js';
import { useReviewWorld } from './review-world.test-helper.js';
import { statusAndCode } from './testing.test-helper.js';

/**
 * A hit on a negative (known-benign) bank suppresses every other hit. A proposal approved onto one side while the
 * same content is listed on the other would make the lists contradict each other: a dismissal put on the
 * known-benign list would suppress a known-abuse list's hits on it (an insider's way to let listed abuse through),
 * and a confirmation put on a positive list would never act while the known-benign entry stays.
 */
const { api, people, seedCase, reviewBank, negativeBank, claimAndDecide } = useReviewWorld(
  {},
  { people: ['ana', 'curator'] },
);

async function proposed(who: SignedIn, body: object): Promise<string> {
  const { caseId } = await seedCase();
  return (await claimAndDecide(who, caseId, body)).json<{ proposalId: string }>().proposalId;
}
const approve = (proposalId: string) =>
  asPerson(api.app, people.curator, 'POST', `/v1/bank-proposals/${proposalId}/approve`, {});
/** The approval of `proposalId` is refused as contradicting `otherBank`, and nothing is on `bankId`. */
async function expectContradicts(proposalId: string, otherBank: string, bankId: string): Promise<void> {
  const refused = await approve(proposalId);
  expect(statusAndCode(refused)).toEqual([409, 'MOD_ERR_API_CONFLICT']);
  expect(refused.json<{ error: { message: string } }>().error.message).toContain(otherBank);
  expect(await liveIn(bankId)).toBe(0);
}
const liveIn = async (bankId: string) =>
  (await api.db.query('select 1 from bank_entries where bank_id = $1 and removed_at is null', [bankId])).rows
    .length;

describe('a bank proposal approved onto one side of the lists', () => {
  it('is refused while the content is listed on the other side, naming that list, and goes through once it is not', async () => {
    const topic = api.world.topics.bankChanges;
    const sha256 = ['sha256' as const];
    const { bank: abuse } = await reviewBank({
      name: 'sides-abuse',
      signalTypes: sha256,
      actionPolicy: 'automatic',
    });
    const { bank: benign } = await negativeBank('sides-benign', { actionPolicy: 'review' });
    const [listed] = await addEntries(
      api.db,
      abuse.id,
      [{ signal: 'sha256', value: photoSha256, category: 'A' }],
      topic,
    );

    // A dismissal of listed abuse, proposed for the known-benign list.
    const dismissal = await proposed(people.ana, {
      decision: 'dismiss',
      reason: 'benign',
      proposeToBankId: benign.id,
    });
    await expectContradicts(dismissal, 'sides-abuse', benign.id);

    // Taken off the abuse list (a curator's decision of its own), the dismissal's entry may go on the benign one.
    await api.db.query('update bank_entries set removed_at = now() where id = $1', [listed]);
    expect((await approve(dismissal)).json()).toMatchObject({ status: 'approved' });
    expect(await liveIn(benign.id)).toBe(1);

    // Now listed as benign: a confirmation proposed for the abuse list would never act while that entry stays.
    const confirmation = await proposed(people.ana, {
      decision: 'confirm',
      category: 'A',
      reason: 'abusive',
      proposeToBankId: abuse.id,
    });
    await expectContradicts(confirmation, 'sides-benign', abuse.id);
  });
});
