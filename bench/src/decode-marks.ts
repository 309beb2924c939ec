/**
 * Durable decode marks (`createDecodeMarks`, migration 0053): the wall time of one flush statement and per media
 * decoded, alone (a begin and an end, two statements) and in batches of 8, with each batch's commit waiting for its
 * WAL flush (`durableCommit: true`, the baseline) against the default (`synchronous_commit = off` for that
 * transaction). Both in one run, in alternating rounds, on a fresh schema of the local database (DATABASE_URL)
 * holding 10,000 marks of another live process, as db36126 measured.
 *
 *   pnpm exec tsc -b bench && pnpm bench:decode-marks     (DECODE_MARKS_BENCH_MEDIA=400 media per round)
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createDecodeMarks, type DecodeMarks } from '@mod/db/submissions';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { describeMachine } from './machine.js';
import { fmt } from './report-format.js';

const MEDIA = Number(process.env['DECODE_MARKS_BENCH_MEDIA'] ?? 400);
const ROUNDS = 5;
const BACKGROUND_MARKS = 10_000;

type Mode = 'sync' | 'async';
interface Round {
  statementMs: number;
  aloneMs: number;
  batch8Ms: number;
}

let serial = 0;
const content = () => createHash('sha256').update(`bench ${serial++}`).digest('hex');

/** Wall ms per media over `MEDIA` media, decoded `size` at once: their begins in one batch, then their ends. */
async function perMedia(
  marks: DecodeMarks,
  size: number,
): Promise<{ perMedia: number; perStatement: number }> {
  let statements = 0;
  const t0 = performance.now();
  for (let done = 0; done < MEDIA; done += size) {
    const batch = Array.from({ length: size }, content);
    await Promise.all(batch.map((c) => marks.begin(c)));
    for (const c of batch) marks.end(c, true);
    await marks.settled();
    statements += 2;
  }
  const ms = performance.now() - t0;
  return { perMedia: ms / MEDIA, perStatement: ms / statements };
}

async function round(db: TestDatabase, mode: Mode): Promise<Round> {
  const marks = createDecodeMarks({
    db: db.pool,
    stage: 'hash',
    owner: `bench-${mode}`,
    durableCommit: mode === 'sync',
  });
  await marks.start();
  try {
    const alone = await perMedia(marks, 1);
    const batch8 = await perMedia(marks, 8);
    return { statementMs: alone.perStatement, aloneMs: alone.perMedia, batch8Ms: batch8.perMedia };
  } finally {
    await marks.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  console.log(`decode marks: ${describeMachine()}`);
  const db = await createTestSchema();
  try {
    const version = await db.pool.query<{ v: string; mode: string }>(
      `select version() as v, current_setting('synchronous_commit') as mode`,
    );
    console.log(`${version.rows[0]?.v}; synchronous_commit ${version.rows[0]?.mode}`);
    // Marks of another live process: the table as a busy instance sees it (none of them counts).
    await db.pool.query(
      `insert into decode_processes (process_id, owner, stage) values ('00000000-0000-4000-8000-000000000000', 'other', 'hash');
       insert into decode_marks (stage, sha256, process_id, owner)
       select 'hash', encode(sha256(i::text::bytea), 'hex'), '00000000-0000-4000-8000-000000000000', 'other'
         from generate_series(1, ${BACKGROUND_MARKS}) i`,
    );
    await round(db, 'async'); // warm-up
    const rounds: Record<Mode, Round[]> = { sync: [], async: [] };
    for (let i = 0; i < ROUNDS; i++)
      for (const mode of i % 2 === 0 ? (['sync', 'async'] as const) : (['async', 'sync'] as const))
        rounds[mode].push(await round(db, mode));
    console.log(
      `${MEDIA} media per round and mode, ${ROUNDS} rounds alternating, medians; ${BACKGROUND_MARKS} marks in the table`,
    );
    console.log('| commit | ms per statement | ms per media alone | ms per media, batches of 8 |');
    console.log('|---|---|---|---|');
    const m = (mode: Mode, k: keyof Round) => median(rounds[mode].map((r) => r[k]));
    for (const mode of ['sync', 'async'] as const)
      console.log(
        `| ${mode === 'sync' ? 'synchronous (before)' : 'synchronous_commit off (after)'} | ${fmt(m(mode, 'statementMs'), 2)} | ${fmt(m(mode, 'aloneMs'), 2)} | ${fmt(m(mode, 'batch8Ms'), 2)} |`,
      );
    const ratio = (k: keyof Round) => fmt(m('async', k) / m('sync', k), 2);
    console.log(
      `after/before: ${ratio('statementMs')}x per statement, ${ratio('aloneMs')}x per media alone, ${ratio('batch8Ms')}x per media in batches of 8`,
    );
  } finally {
    await db.drop();
  }
}

await main();
