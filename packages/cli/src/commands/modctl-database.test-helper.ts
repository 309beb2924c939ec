import { afterAll, beforeAll } from 'vitest';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { bufferedIo, type Command } from '../command.js';

/** Shared set-up of the tests of modctl's database commands: a schema of their own that modctl is pointed at. */
export let db: TestDatabase;

/**
 * Creates the file's schema before its tests and points modctl's environment at it (DATABASE_URL,
 * DATABASE_SCHEMA, MODCTL_ACTOR = `actor`, and TOPIC_PREFIX when given); drops the schema and restores the
 * environment after.
 */
export function useModctlDatabase(options: { actor: string; topicPrefix?: string }): void {
  const saved = { ...process.env };
  beforeAll(async () => {
    db = await createTestSchema();
    process.env['DATABASE_URL'] = db.connectionString;
    process.env['DATABASE_SCHEMA'] = db.schema;
    if (options.topicPrefix !== undefined) process.env['TOPIC_PREFIX'] = options.topicPrefix;
    process.env['MODCTL_ACTOR'] = options.actor;
  });
  afterAll(async () => {
    process.env = saved;
    await db.drop();
  });
}

/** One JSON line a command printed (`{}` when there is none). */
export const json = <T = Record<string, unknown>>(line: string | undefined) => JSON.parse(line ?? '{}') as T;

/** Runs `command` with `args`, its output discarded: the exit code. */
export const exitOf = (command: Command, args: string[]): Promise<number> =>
  command.run(args, bufferedIo().io);

/** An import's progress lines among what it wrote on stderr (bad lines are the others). */
export type Progress = { progress: Record<string, unknown> };
export const progressOf = (err: string[]): Progress[] =>
  err.map((l) => json<Progress | { line: number }>(l)).filter((l): l is Progress => 'progress' in l);
