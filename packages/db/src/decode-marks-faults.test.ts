import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDecodeMarks,
  DECODE_STOP_ATTEMPTS,
  type DecodeMarks,
  type DecodeMarksOptions,
} from './decode-marks.js';
import type { Queryable } from './pool.js';
import { db, useTestSchema } from './testing.test-helper.js';

// Decode marks (migration 0053) when the database fails a batch whose statement it ran: the connection ends after
// the commit, before the answer (a backend terminated, a network cut), and the client sees only the error. A mark the
// batch wrote for a decode the caller then never ran is not a crash of that content: no later process of the owner
// may count it.

useTestSchema();

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const started: DecodeMarks[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

/**
 * A process's marks whose next flush is committed but answered with a lost connection (`loseNextAnswer`), or whose
 * next `n` flushes find the database away (`awayFor`: refused, nothing run); `flushes` counts the flushes it tried.
 */
async function processLosingAnswers(owner: string, o: Partial<DecodeMarksOptions> = {}) {
  let lose = false;
  let away = 0;
  let flushes = 0;
  const db_: Queryable = {
    query: (async (text: string, values?: unknown[]) => {
      const flush = text.includes('decode-marks:flush');
      if (flush) flushes++;
      if (flush && away > 0) {
        away--;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      }
      const r = await db.pool.query(text, values);
      if (lose && flush) {
        lose = false;
        throw new Error('Connection terminated unexpectedly');
      }
      return r;
    }) as Queryable['query'],
  };
  const marks = createDecodeMarks({ db: db_, stage: 'hash', owner, ...o });
  const { leftBehind } = await marks.start();
  started.push(marks);
  return {
    marks,
    leftBehind,
    loseNextAnswer: () => {
      lose = true;
    },
    awayFor: (n: number) => {
      away = n;
    },
    flushes: () => flushes,
  };
}

const marksOf = async (content: string) =>
  (await db.pool.query(`select 1 from decode_marks where sha256 = $1`, [content])).rowCount;

/** A process of `owner` whose begin of `content` was written but answered with the lost connection's error. */
async function lostBegin(owner: string, content: string) {
  const p = await processLosingAnswers(owner);
  p.loseNextAnswer();
  // The caller is told the database failed: it does not decode (its record is retried later).
  await expect(p.marks.begin(content)).rejects.toMatchObject({ retriable: true });
  return p.marks;
}

describe('decode marks whose batch was written but not answered', () => {
  it('deletes the mark of a begin that failed with the next batch: never a crash of its content', async () => {
    const content = sha('lost answer');
    const first = await lostBegin('scanner-x', content);
    expect(await marksOf(content)).toBe(1);
    // The next batch (another media's begin) takes the stray mark away.
    expect(await first.begin(sha('next media'))).toBe(0);
    expect(await marksOf(content)).toBe(0);
    // Another process of the owner (a restart) finds only the next media's mark left behind, not this one's.
    const second = await processLosingAnswers('scanner-x');
    expect(second.leftBehind).toBe(1);
    expect(await second.marks.begin(content)).toBe(0);
  });

  it('deletes it at a graceful stop when no other batch came', async () => {
    const content = sha('lost answer, then stop');
    const first = await lostBegin('scanner-y', content);
    await first.stop();
    const second = await processLosingAnswers('scanner-y');
    expect(second.leftBehind).toBe(0);
    expect(await second.marks.begin(content)).toBe(0);
  });

  it('keeps the mark while a decode of that content is under way here again', async () => {
    const content = sha('lost answer, begun again');
    const first = await lostBegin('scanner-z', content);
    // Retried at once: a decode of it under way, its mark there until it ends.
    expect(await first.begin(content)).toBe(0);
    expect(await marksOf(content)).toBe(1);
    first.end(content, true);
    await first.settled();
    expect(await marksOf(content)).toBe(0);
  });
});

describe('decode marks at a graceful stop while the database is away', () => {
  /** A process of `owner` that decoded `contents` to the end while the database was away (their ends not written). */
  async function endedInOutage(owner: string, contents: string[], o: Partial<DecodeMarksOptions> = {}) {
    const p = await processLosingAnswers(owner, o);
    expect(await Promise.all(contents.map((c) => p.marks.begin(c)))).toEqual(contents.map(() => 0));
    p.awayFor(Number.MAX_SAFE_INTEGER);
    for (const c of contents) p.marks.end(c, true);
    await p.marks.settled();
    return p;
  }

  it('tries the last batch again until the database is back: media that ended is no crash after a restart', async () => {
    const content = sha('ended during an outage');
    const first = await endedInOutage('scanner-s', [content]);
    // Back after the stop's first two tries.
    first.awayFor(2);
    const before = first.flushes();
    await first.marks.stop();
    expect(first.flushes() - before).toBe(3);
    expect(await marksOf(content)).toBe(0);
    const second = await processLosingAnswers('scanner-s');
    expect(second.leftBehind).toBe(0);
    expect(await second.marks.begin(content)).toBe(0);
  });

  it('gives up after a bounded number of tries and says how many marks stayed', async () => {
    const contents = [sha('stays 1'), sha('stays 2')];
    const left: number[] = [];
    const errors: unknown[] = [];
    const first = await endedInOutage('scanner-t', contents, {
      stopRetryMs: 60_000,
      onMarksLeft: (err, marksLeft) => {
        errors.push(err);
        left.push(marksLeft);
      },
    });
    const before = first.flushes();
    await first.marks.stop();
    expect(first.flushes() - before).toBe(DECODE_STOP_ATTEMPTS);
    expect(left).toEqual([2]);
    expect(errors[0]).toMatchObject({ code: 'MOD_ERR_DB_UNAVAILABLE', retriable: true });
  });

  it('tries no more once its part of the shutdown budget is spent', async () => {
    const left: number[] = [];
    const first = await endedInOutage('scanner-u', [sha('no time left')], {
      // Less than the first wait: one try only.
      stopRetryMs: 50,
      onMarksLeft: (_err, marksLeft) => left.push(marksLeft),
    });
    const before = first.flushes();
    await first.marks.stop();
    expect(first.flushes() - before).toBe(1);
    expect(left).toEqual([1]);
  });
});
