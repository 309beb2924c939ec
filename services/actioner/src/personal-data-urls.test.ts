import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCase } from '@mod/db/orders';
import { getReport, moveSubjectToCase } from '@mod/db/reports';
import { DAY, usePersonalDataWorld } from './personal-data.test-helper.js';

/**
 * The retention of reported and observed URLs on a real PostgreSQL, with a clock the test moves, and the pass's
 * batches (shared by several actioners).
 */
const w = usePersonalDataWorld();

describe('personal-data retention of URLs (real PostgreSQL)', () => {
  it("erases a reported URL REPORT_URL_RETENTION_DAYS after its outcome once every report naming it is handled, with its case's copies", async () => {
    const [u, v] = ['https://reported.example/u', 'https://reported.example/v'];
    const report = await w.file([u, v]);
    const [uSubject, vSubject] = report.subjectIds as [string, string];
    const seen = await w.submission(u, 'public-reports');
    const images = [{ submissionId: randomUUID(), url: 'https://img.example/1.jpg', status: 'scanned' }];
    const opened = await openCase(w.db.pool, {
      kind: 'review',
      submissionId: seen,
      orderIds: [],
      reason: 'citizen report',
      evidence: {
        source: 'report',
        report: { subjectId: uSubject, url: u },
        subject: { type: 'url', value: u },
        sha256: 'cd'.repeat(32),
        embeddedImages: images,
      },
      policyVersion: 'test',
      createdAt: w.clock.now(),
    });
    await moveSubjectToCase(w.db.pool, {
      id: uSubject,
      caseId: opened.id,
      submissionId: seen,
      at: w.clock.now(),
      note: 'n',
    });
    await w.closeCase(opened.id);
    await w.handle(uSubject);
    w.clock.advance(61 * DAY);
    // Its report is still open (the other URL is not settled): the URL stays.
    expect((await w.retention().pass())['reported-url']).toBe(0);
    await w.handle(vSubject);
    expect((await w.retention().pass())['reported-url']).toBe(1);
    const subjects = (await getReport(w.db.pool, report.id, { all: true }))!.subjects;
    expect(subjects.map((x) => [x.url, x.status])).toEqual([
      [null, 'no-action'],
      [v, 'no-action'],
    ]);
    const { rows } = await w.db.pool.query<{ evidence: unknown }>(
      'select evidence from cases where id = $1',
      [opened.id],
    );
    expect(rows[0]?.evidence).toEqual({
      source: 'report',
      // When it went, for the console ("erased on …").
      report: { subjectId: uSubject, url: null, urlErasedAt: expect.any(String) as unknown },
      sha256: 'cd'.repeat(32),
      embeddedImages: [{ ...images[0], url: null }],
    });
    // PostgreSQL writes the time with its trailing zeros dropped (".57", not ".570"): compared as a time.
    const erasedAt = (rows[0]?.evidence as { report: { urlErasedAt: string } }).report.urlErasedAt;
    expect(new Date(erasedAt).getTime()).toBe(w.clock.now().getTime());
    // A new report of the URL opens a subject of its own, as after any outcome.
    const again = await w.file(u);
    expect(again.subjectId).not.toBe(uSubject);
    expect(await w.erasures('reported-url')).toEqual([
      {
        kind: 'reported-url',
        erased: 1,
        period: "60 days after the reported URL's outcome",
        ids: [uSubject],
      },
    ]);
  });

  it("erases a traffic sample's URL OBSERVED_URL_RETENTION_DAYS after receipt, not while a case is open for it, and keeps its hashes", async () => {
    const plain = await w.submission('https://isp.example/seen?user=someone');
    const inCase = await w.submission('https://isp.example/case');
    const opened = await openCase(w.db.pool, {
      kind: 'review',
      submissionId: inCase,
      orderIds: [],
      reason: 'classifier',
      evidence: {},
      policyVersion: 'test',
      createdAt: w.clock.now(),
    });
    w.clock.advance(10 * DAY - 60_000);
    expect((await w.retention().pass())['observed-url']).toBe(0);
    w.clock.advance(120_000);
    expect((await w.retention().pass())['observed-url']).toBe(1);
    expect(await w.submissionUrl(plain)).toEqual({
      url: null,
      url_erased_at: w.clock.now(),
      sha256: 'ab'.repeat(32),
    });
    expect((await w.submissionUrl(inCase))?.url).toBe('https://isp.example/case');
    await w.closeCase(opened.id);
    expect((await w.retention().pass())['observed-url']).toBe(1);
    expect((await w.submissionUrl(inCase))?.url).toBeNull();
    expect(await w.erasures('observed-url')).toEqual([
      { kind: 'observed-url', erased: 1, period: '10 days after receipt', ids: [plain] },
      { kind: 'observed-url', erased: 1, period: '10 days after receipt', ids: [inCase] },
    ]);
  });

  it('erases in batches, one audit record each, at most maxBatches a pass; two actioners at once erase each row once', async () => {
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => w.submission(`https://batch.example/${i}`)),
    );
    w.clock.advance(11 * DAY);
    expect((await w.retention(2, 2).pass())['observed-url']).toBe(4);
    expect((await w.retention(2, 2).pass())['observed-url']).toBe(1);
    expect((await w.retention(2, 2).pass())['observed-url']).toBe(0);
    const records = await w.erasures('observed-url');
    expect(records.map((r) => r['erased'])).toEqual([2, 2, 1]);
    expect(records.flatMap((r) => r['ids'] as string[]).sort()).toEqual([...ids].sort());
    expect(await w.erasedTotal('observed-url')).toBe(5);

    const more = await Promise.all(
      Array.from({ length: 6 }, (_, i) => w.submission(`https://twice.example/${i}`)),
    );
    w.clock.advance(11 * DAY);
    const [one, two] = await Promise.all([w.retention(1).pass(), w.retention(1).pass()]);
    expect(one['observed-url'] + two['observed-url']).toBe(6);
    const erasedIds = (await w.erasures('observed-url')).slice(3).flatMap((r) => r['ids'] as string[]);
    expect(erasedIds.sort()).toEqual([...more].sort());
  });
});
