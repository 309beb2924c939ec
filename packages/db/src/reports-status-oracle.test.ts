import { describe, expect, it } from 'vitest';
import { addStep, fileReport, reportStatusByTracking, settleSubject } from './domains/reports.js';
import { db, testReport, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'hotline-1': 'hotline' });

const T0 = new Date('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);

/** A public report of one URL received at T0, due a day later: its tracking digest and its subject. */
async function reportOf(url: string) {
  const r = testReport({
    channel: 'web',
    urls: [{ href: url, key: url.replace(/^https?:\/\//, '') }],
    receivedAt: T0,
    dueAt: at(24),
  });
  const { subjects } = await fileReport(db.pool, r);
  return { digest: r.trackingSha256, subjectId: subjects[0]!.id };
}

/**
 * The public status look-up must not tell the pipeline's automatic outcome before the report's deadline: a URL a
 * list already holds is settled seconds after the report, so "action taken" a minute after filing told anyone that
 * the URL (or the re-encoded copy of known media put behind it) was on a list, a free oracle for testing evasions.
 */
describe('reportStatusByTracking: no list-membership oracle', () => {
  it('shows an outcome reached before the deadline only from the deadline on', async () => {
    const listed = await reportOf('https://listed.example/a.jpg');
    await settleSubject(db.pool, {
      id: listed.subjectId,
      status: 'actioned',
      reason: 'url-list hit',
      orderIds: [],
      submissionId: null,
      owner: 'system:pipeline',
      at: at(0.01),
    });
    expect(await reportStatusByTracking(db.pool, listed.digest, at(1))).toEqual({
      status: 'received',
      receivedAt: T0,
      outcomeAt: null,
    });
    expect(await reportStatusByTracking(db.pool, listed.digest, at(24))).toEqual({
      status: 'actioned',
      receivedAt: T0,
      outcomeAt: at(0.01),
    });
  });

  it('shows a report a person assessed as being assessed until the deadline, then its outcome', async () => {
    const reviewed = await reportOf('https://new.example/b.jpg');
    // Its review case opened (moveSubjectToCase's step), then the reviewer's decision settled it.
    await addStep(db.pool, {
      subjectId: reviewed.subjectId,
      at: at(0.5),
      step: 'case-opened',
      owner: 'system:pipeline',
    });
    await settleSubject(db.pool, {
      id: reviewed.subjectId,
      status: 'no-action',
      reason: 'not abuse',
      orderIds: [],
      submissionId: null,
      owner: 'system:pipeline',
      at: at(2),
    });
    expect((await reportStatusByTracking(db.pool, reviewed.digest, at(3)))?.status).toBe('assessing');
    expect((await reportStatusByTracking(db.pool, reviewed.digest, at(25)))?.status).toBe('no-action');
  });
});
