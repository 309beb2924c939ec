import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makePhoto, publishPartnerMedia, waitFor, waitScanned } from './helpers.js';
import { useTrustScene } from './trust-boundaries-scene.js';

/**
 * A platform may send one of its submissions again (its producer retrying under a new event id): the second verdict
 * is actioned as the first was. Once an authority withdrew the first verdict's orders, which closed the
 * confirmation case, the orders the second verdict issues await an authority as the first did, so their case is
 * open for one to see.
 */

const scene = useTrustScene();

interface CaseRow {
  id: string;
  status: string;
  order_ids: string[];
}

const confirmCase = async (submissionId: string): Promise<CaseRow | undefined> =>
  (
    await scene.world.db.query<CaseRow>(
      `select id, status, order_ids from cases where submission_id = $1 and kind = 'confirm'`,
      [submissionId],
    )
  ).rows[0];

describe('a submission sent again after its orders were withdrawn', () => {
  it('opens its confirmation case again for the orders the second verdict issues', async () => {
    const submissionId = randomUUID();
    await publishPartnerMedia(scene.world, scene.platformA, scene.known, { submissionId });
    const first = await waitFor('the confirmation case', async () => {
      const c = await confirmCase(submissionId);
      return c !== undefined && c.order_ids.length > 0 ? c : undefined;
    });
    for (const id of first.order_ids) {
      const res = await scene.inject('authority-1', {
        method: 'POST',
        url: `/v1/orders/${id}/withdraw`,
        payload: { reason: 'a false positive of the list' },
      });
      expect(res.statusCode).toBe(200);
    }
    expect((await confirmCase(submissionId))?.status).toBe('closed');

    // The same submission again, under a new event id.
    await publishPartnerMedia(scene.world, scene.platformA, scene.known, { submissionId });
    await waitFor(
      'the second verdict',
      async () =>
        (await scene.countRows(`select count(*)::int as n from verdicts where submission_id = $1`, [
          submissionId,
        ])) === 2,
    );
    const awaiting = await scene.countRows(
      `select count(*)::int as n from orders o join order_submissions s on s.order_id = o.id
       where s.submission_id = $1 and o.status <> 'withdrawn' and o.confirmed_at is null`,
      [submissionId],
    );
    expect(awaiting).toBeGreaterThan(0);
    const again = await confirmCase(submissionId);
    expect(again?.status).toBe('open');
    expect(again?.order_ids.length).toBe(first.order_ids.length + awaiting);
    expect(
      await scene.countRows(
        `select count(*)::int as n from audit_records
         where record::jsonb ->> 'action' = 'case.reopened' and record::jsonb -> 'subject' ->> 'id' = $1`,
        [first.id],
      ),
    ).toBe(1);
  });
});

describe('an event id a platform sends again with another submission', () => {
  it('is that submission’s event: its media is scanned and actioned, not dropped as the first one’s replay', async () => {
    // The verdict's id derived from the event id alone: the second submission's verdict was dropped as already
    // recorded, and the submission stayed received for ever (no decision, no order, no dead letter; the classifier
    // gave up waiting), however listed its media.
    const eventId = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    await publishPartnerMedia(scene.world, scene.platformA, await makePhoto(46), {
      eventId,
      submissionId: first,
    });
    await waitScanned(scene.world, 'the first submission', [first]);
    await publishPartnerMedia(scene.world, scene.platformA, scene.known, { eventId, submissionId: second });
    await waitScanned(scene.world, 'the second submission', [second]);
    const { rows } = await scene.world.db.query<{ decision: string }>(
      `select decision from submissions where id = $1`,
      [second],
    );
    expect(rows[0]?.decision).toBe('match');
    expect(
      await scene.countRows(`select count(*)::int as n from order_submissions where submission_id = $1`, [
        second,
      ]),
    ).toBeGreaterThan(0);
  });
});
