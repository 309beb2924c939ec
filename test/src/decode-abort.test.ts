import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '@mod/contracts';
import { submissionScanState } from '@mod/db/submissions';
import { MAX_WORKER_CRASHES } from '@mod/hashing';
import { ABORT_MARK } from './abort-on-mark.test-task.js';
import { partner, usePlatformWorld, world } from './file-world.js';
import { makePhoto, publishPartnerMedia, waitFor } from './helpers.js';
import { json, read } from './topic-reads.js';
import { serviceEnv } from './world.js';

// Media whose decode aborts the whole scanner process (SIGABRT, as V8 may when a worker's heap goes past its limits:
// nodejs/node#47224), through the real service code in a child process (decode-abort.child.ts: the scanner with a
// hash task that aborts the process on media holding ABORT_MARK), real PostgreSQL and Kafka. The in-memory crash
// count dies with the process, and the record is read again uncommitted by the next: without a durable bound the
// scanner aborts for ever. Each child is started again as a supervisor would, with the same instance id.

usePlatformWorld();

const child = fileURLToPath(new URL('./decode-abort.child.ts', import.meta.url));
/** Processes started at most: a loop would go on past them. */
const MAX_RUNS = MAX_WORKER_CRASHES + 2;

type Run = { ended: NodeJS.Signals | number | null } | { failed: true; stop: () => Promise<unknown> };

const status = async (submissionId: string) => (await submissionScanState(world.db, submissionId))?.status;

/**
 * Starts the scanner; resolves when it ends, or once the poisoned submission has failed and `done()` (the process
 * still running).
 */
function runScanner(env: Record<string, string>, poisoned: string, done: () => boolean): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(KAFKA_|DATABASE_|TOPIC_PREFIX|OPS_)/.test(k)),
  );
  const p = spawn(process.execPath, [child], {
    env: { ...inherited, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<Run>((resolve) =>
    p.once('exit', (code, signal) => resolve({ ended: signal ?? code })),
  );
  let ended = false;
  void exited.then(() => (ended = true));
  const failed = waitFor(
    'the process to end or the submission to fail',
    async () => ended || ((await status(poisoned)) === 'failed' && done()),
    120_000,
  ).then((): Run | Promise<Run> =>
    ended ? exited : { failed: true, stop: () => (p.kill('SIGTERM'), exited) },
  );
  return Promise.race([exited, failed]);
}

describe('media whose decode aborts the scanner process', () => {
  it(`is failed with MOD_ERR_HASH_WORKER_CRASHED after ${MAX_WORKER_CRASHES} aborts, not decoded again`, async () => {
    const env = serviceEnv(world, 'scanner', { KAFKA_GROUP_INSTANCE_ID: `${world.prefix}scanner-1` });
    const media = Buffer.concat([await makePhoto(4711), Buffer.from(ABORT_MARK)]);
    const submissionId = await publishPartnerMedia(world, partner, media);
    // A photo right behind it, maybe in flight (decoding, or waiting for a thread) when the process aborts: it has
    // its verdict in the end, whatever it went through.
    const innocent = await publishPartnerMedia(world, partner, await makePhoto(4712));
    let verdict = false;
    const verdicts = read(world, world.topics.verdicts, (r) => r.some((m) => m.key === innocent), 240_000);
    void verdicts.then(() => (verdict = true)).catch(() => undefined);
    const ends: Run[] = [];
    for (let i = 0; i < MAX_RUNS; i++) {
      const run = await runScanner(env, submissionId, () => verdict);
      ends.push(run);
      if ('failed' in run) {
        await run.stop();
        break;
      }
    }
    // Two processes aborted while decoding it; the third failed it without a decode (it would have aborted).
    expect(ends.map((r) => ('failed' in r ? 'failed' : r.ended))).toEqual(['SIGABRT', 'SIGABRT', 'failed']);
    expect(await status(submissionId)).toBe('failed');
    expect(await verdicts).toContainEqual(expect.objectContaining({ key: innocent }));
    expect(await status(innocent)).not.toBe('failed');
    const letters = await read(world, world.topics.deadLetters, (r) => r.some((m) => m.key === submissionId));
    const letter = json<DeadLetter>(letters.find((m) => m.key === submissionId)!);
    expect(letter).toMatchObject({ reason: { code: 'MOD_ERR_HASH_WORKER_CRASHED' } });
    // The aborted processes' marks stay (the same bytes sent again fail at once); the third ended its own.
    const marks = await world.db.query<{ n: number }>(
      `select count(*)::int as n from decode_marks where stage = 'hash' and sha256 = $1`,
      [createHash('sha256').update(media).digest('hex')],
    );
    expect(marks.rows[0]?.n).toBe(MAX_WORKER_CRASHES);
  });
});
