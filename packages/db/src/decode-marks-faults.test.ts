import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecodeMarks, type DecodeMarks } from './decode-marks.js';
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

/** A process's marks whose next flush is committed but answered with a lost connection (`loseNextAnswer`). */
async function processLosingAnswers(owner: string) {
  let lose = false;
  const db_: Queryable = {
    query: (async (text: string, values?: unknown[]) => {
      const r = await db.pool.query(text, values);
      if (lose && text.includes('decode-marks:flush')) {
        lose = false;
        throw new Error('Connection terminated unexpectedly');
      }
      return r;
    }) as Queryable['query'],
  };
  const marks = createDecodeMarks({ db: db_, stage: 'hash', owner });
  const { leftBehind } = await marks.start();
  started.push(marks);
  return {
    marks,
    leftBehind,
    loseNextAnswer: () => {
      lose = true;
    },
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
