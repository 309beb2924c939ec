import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecodeMarks, type DecodeMarks, type DecodeMarksOptions } from './decode-marks.js';
import type { Queryable } from './pool.js';
import { db, useTestSchema } from './testing.test-helper.js';

// Durable marks of decodes under way (migration 0053) on the real PostgreSQL: which marks count as crashes (an
// earlier process of the same owner, a lapsed lease; never a live instance's), that they are written in batches,
// and that old ones expire. A process "ends" here by being dropped without `end` or `stop`.

useTestSchema();

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const started: DecodeMarks[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

/** A process's marks, started; `statements` counts the flushes it sends. */
async function processOf(o: Partial<DecodeMarksOptions> & { owner: string | undefined }) {
  const statements: string[] = [];
  const counting: Queryable = {
    query: ((text: string, values?: unknown[]) => {
      if (text.includes('decode-marks:flush')) statements.push(text);
      return db.pool.query(text, values);
    }) as Queryable['query'],
  };
  const marks = createDecodeMarks({ db: counting, stage: 'hash', ...o });
  const { leftBehind } = await marks.start();
  started.push(marks);
  return { marks, statements, leftBehind };
}

const lapse = (processId: string) =>
  db.pool.query(`update decode_processes set seen_at = now() - interval '1 hour' where process_id = $1`, [
    processId,
  ]);

describe('decode marks', () => {
  it('writes the begins and ends of one batch in one statement each', async () => {
    const { marks, statements } = await processOf({ owner: 'scanner-a' });
    const contents = Array.from({ length: 20 }, (_, i) => sha(`batch ${i}`));
    expect(await Promise.all(contents.map((c) => marks.begin(c)))).toEqual(contents.map(() => 0));
    expect(statements).toHaveLength(1);
    const count = async () =>
      (
        await db.pool.query<{ n: number }>(
          `select count(*)::int as n from decode_marks where owner = 'scanner-a'`,
        )
      ).rows[0]?.n;
    expect(await count()).toBe(20);
    for (const c of contents) marks.end(c, true);
    await marks.settled();
    expect(statements).toHaveLength(2);
    expect(await count()).toBe(0);
  });

  it("counts the marks of an owner's earlier processes at once; suspect content is marked only when it decodes alone", async () => {
    const poison = sha('poison');
    const marksOf = async (content: string) =>
      (await db.pool.query(`select 1 from decode_marks where sha256 = $1`, [content])).rowCount;
    const first = await processOf({ owner: 'scanner-b' });
    expect(await first.marks.begin(poison)).toBe(0);
    // Ended (aborted) while decoding it: its lease still fresh, but a later process of its owner has started.
    const second = await processOf({ owner: 'scanner-b' });
    expect(second.leftBehind).toBe(1);
    expect(await second.marks.begin(poison)).toBe(1);
    // Not marked while it waits for its turn to decode alone: an end of the process then is not its.
    expect(await marksOf(poison)).toBe(1);
    await second.marks.beginAlone(poison);
    expect(await marksOf(poison)).toBe(2);
    // The second ended while decoding it alone.
    const third = await processOf({ owner: 'scanner-b' });
    expect(await third.marks.begin(poison)).toBe(2);
  });

  it('keeps the mark of content decoded twice at once in one process until both decodes ended', async () => {
    const content = sha('twice');
    const { marks } = await processOf({ owner: 'scanner-g' });
    expect(await Promise.all([marks.begin(content), marks.begin(content)])).toEqual([0, 0]);
    marks.end(content, false);
    await marks.settled();
    const marked = async () =>
      (await db.pool.query(`select 1 from decode_marks where sha256 = $1`, [content])).rowCount;
    expect(await marked()).toBe(1);
    marks.end(content, false);
    await marks.settled();
    expect(await marked()).toBe(0);
  });

  it("never counts a live instance's mark; a lapsed lease counts, and a decode that ended well forgets it", async () => {
    const content = sha('shared');
    const live = await processOf({ owner: 'scanner-c' });
    const other = await processOf({ owner: 'scanner-d' });
    const dynamic = await processOf({ owner: undefined });
    expect(await live.marks.begin(content)).toBe(0);
    expect(await other.marks.begin(content)).toBe(0);
    expect(await dynamic.marks.begin(content)).toBe(0);
    await lapse(live.marks.processId);
    expect(await other.marks.begin(content)).toBe(1);
    other.marks.end(content, true);
    await other.marks.settled();
    // The lapsed process's mark is gone with the decode that ended well; the live (dynamic) one's is still there.
    const left = await db.pool.query<{ process_id: string }>(
      `select process_id from decode_marks where sha256 = $1 order by process_id`,
      [content],
    );
    expect(left.rows.map((r) => r.process_id)).toEqual([dynamic.marks.processId]);
  });

  it('ignores marks older than the time to live, and the next start deletes them', async () => {
    const content = sha('old');
    const gone = await processOf({ owner: 'scanner-e' });
    await gone.marks.begin(content);
    await lapse(gone.marks.processId);
    await db.pool.query(`update decode_marks set started_at = now() - interval '2 days' where sha256 = $1`, [
      content,
    ]);
    const next = await processOf({ owner: 'scanner-f' });
    expect(await next.marks.begin(content)).toBe(0);
    const marks = await db.pool.query(
      `select 1 from decode_marks where sha256 = $1 and owner = 'scanner-e'`,
      [content],
    );
    expect(marks.rowCount).toBe(0);
  });

  it('commits a batch without waiting for its WAL flush, in that transaction only', async () => {
    await db.pool.query(`create table commit_modes (mode text)`);
    await db.pool.query(`create function record_commit_mode() returns trigger language plpgsql as $$
      begin insert into commit_modes values (current_setting('synchronous_commit')); return null; end $$`);
    await db.pool.query(`create trigger record_commit_mode after insert on decode_marks
      for each statement execute function record_commit_mode()`);
    const client = await db.pool.connect();
    try {
      const before = (
        await client.query<{ mode: string }>(`select current_setting('synchronous_commit') as mode`)
      ).rows[0]?.mode;
      const marks = createDecodeMarks({ db: client, stage: 'hash', owner: 'scanner-h' });
      await marks.start();
      started.push(marks);
      expect(await marks.begin(sha('async'))).toBe(0);
      const modes = await db.pool.query<{ mode: string }>(`select mode from commit_modes`);
      expect(modes.rows.map((r) => r.mode)).toEqual(['off']);
      // The connection (a pool's, shared with other statements) keeps its own setting.
      const after = (
        await client.query<{ mode: string }>(`select current_setting('synchronous_commit') as mode`)
      ).rows[0]?.mode;
      expect(after).toBe(before);
      expect(after).not.toBe('off');
      await marks.stop();
    } finally {
      client.release();
      await db.pool.query(`drop trigger record_commit_mode on decode_marks`);
    }
  });
});
