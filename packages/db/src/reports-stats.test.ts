import { describe, expect, it } from 'vitest';
import { fileReport, reportStats, type ReportChannel } from './domains/reports.js';
import { db, testReport, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'hotline-1': 'hotline' });

const T0 = new Date('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;

/** A report received at T0 on `channel` whose outcome came `hours` later (null: still open). */
async function reportHandledAfter(channel: ReportChannel, hours: number | null): Promise<void> {
  const { id } = await fileReport(
    db.pool,
    testReport({ channel, receivedAt: T0, dueAt: new Date(T0.getTime() + 24 * HOUR) }),
  );
  if (hours !== null)
    await db.pool.query(`update reports set status = 'actioned', outcome_at = $2 where id = $1`, [
      id,
      new Date(T0.getTime() + hours * HOUR),
    ]);
}

describe('reportStats', () => {
  it('gives the median time to outcome overall and per channel, over handled reports only', async () => {
    await reportHandledAfter('hotline', 1);
    await reportHandledAfter('hotline', 5);
    await reportHandledAfter('hotline', null);
    await reportHandledAfter('web', 2);
    await reportHandledAfter('platform', null);
    const stats = await reportStats(db.pool, {
      from: T0,
      to: new Date(T0.getTime() + HOUR),
      now: new Date(T0.getTime() + 6 * HOUR),
    });
    expect(stats).toMatchObject({ received: 5, handled: 3, open: 2, medianSecondsToOutcome: 2 * 3600 });
    expect(stats.byChannel).toEqual([
      {
        channel: 'hotline',
        received: 3,
        handled: 2,
        handledWithinDeadline: 2,
        medianSecondsToOutcome: 3 * 3600,
      },
      {
        channel: 'platform',
        received: 1,
        handled: 0,
        handledWithinDeadline: 0,
        medianSecondsToOutcome: null,
      },
      { channel: 'web', received: 1, handled: 1, handledWithinDeadline: 1, medianSecondsToOutcome: 2 * 3600 },
    ]);
  });
});
