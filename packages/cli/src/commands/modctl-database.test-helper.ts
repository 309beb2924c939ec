import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { generateSigningKeyPair, loadSigningKey } from '@mod/audit';
import {
  appendAuditBatch,
  auditLogId,
  signTreeHeadIfDue,
  type SignedTreeHead,
  type SigningKey,
} from '@mod/db/audit';
import { createTestSchema, type TestDatabase } from '@mod/testing';
import { bufferedIo, type Command, type CommandIo } from '../command.js';

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

/**
 * A folder of the file's own (`modctl-<name>-…` in the temporary folder) for the lists its tests write and the
 * commands read or export, made before its tests and removed after. Answers where a file of that folder is.
 */
export function useListFolder(name: string): (file: string) => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `modctl-${name}-`));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  return (file) => join(dir, file);
}

/** One JSON line a command printed (`{}` when there is none). */
export const json = <T = Record<string, unknown>>(line: string | undefined) => JSON.parse(line ?? '{}') as T;

/** What a command run in-process answered: its exit code and the lines it wrote on stdout and stderr. */
export interface CommandRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `command` with `args` (and `io`'s settings, e.g. a terminal's stderr), keeping what it writes. */
export async function runCommand(
  command: Command,
  args: string[],
  io: Pick<CommandIo, 'stderrIsTTY'> = {},
): Promise<CommandRun> {
  const { out, err, io: buffered } = bufferedIo();
  return { code: await command.run(args, { ...buffered, ...io }), out, err };
}

/** `runCommand`, expecting the command to exit with `exitCode`. */
export async function runExpecting(
  command: Command,
  args: string[],
  exitCode: number,
  io: Pick<CommandIo, 'stderrIsTTY'> = {},
): Promise<CommandRun> {
  const run = await runCommand(command, args, io);
  expect(run.code, `modctl ${command.name} ${args.join(' ')}`).toBe(exitCode);
  return run;
}

/** Runs `command` with `args`, its output discarded: the exit code. */
export const exitOf = async (command: Command, args: string[]): Promise<number> =>
  (await runCommand(command, args)).code;

/** An import's progress lines among what it wrote on stderr (bad lines are the others). */
export type Progress = { progress: Record<string, unknown> };
export const progressOf = (err: string[]): Progress[] =>
  err.map((l) => json<Progress | { line: number }>(l)).filter((l): l is Progress => 'progress' in l);

/** An import `expectImportProgress` runs: `lines` written to `file`, exactly one of them bad. */
export interface ProgressImport {
  command: Command;
  /** The import's arguments before the file, e.g. `['import', '--bank', 'big', '--format', 'csv']`. */
  args: string[];
  file: string;
  lines: readonly string[];
  /** The bad line: its number and error code, reported on stderr before any progress. */
  badLine: { line: number; code: string };
}

/**
 * Checks how an import (exit 3, for its bad line) shows its progress on stderr: asked (`--progress`), JSON lines
 * after the bad line, `reading` while it reads, then `applying` once the file is staged, then `done`, both with
 * the summary; on a terminal unasked; in a script (stderr not a terminal, no --progress) not at all, stderr
 * holding the bad line alone, as it always did. Answers the progress shown when asked.
 */
export async function expectImportProgress(i: ProgressImport): Promise<Record<string, unknown>[]> {
  await writeFile(i.file, `${i.lines.join('\n')}\n`);
  const size = (await stat(i.file)).size;
  const lines = i.lines.length;
  const { line, code } = i.badLine;

  const shown = await runExpecting(i.command, [...i.args, '--progress', i.file], 3);
  expect(json(shown.out[0])).toMatchObject({ lines, badLines: 1, added: lines - 1 });
  expect(json(shown.err[0])).toMatchObject({ line, error: { code } });
  const progress = progressOf(shown.err).map((l) => l.progress);
  expect(progress.length).toBe(shown.err.length - 1);
  expect(progress.slice(0, -2).every((p) => p['phase'] === 'reading')).toBe(true);
  const summary = { lines, accepted: lines - 1, badLines: 1, bytesRead: size, bytes: size };
  expect(progress.at(-2)).toMatchObject({ phase: 'applying', ...summary });
  expect(progress.at(-1)).toMatchObject({ phase: 'done', ...summary });

  const watched = await runExpecting(i.command, [...i.args, i.file], 3, { stderrIsTTY: true });
  expect(progressOf(watched.err).at(-1)?.progress).toMatchObject({ phase: 'done', lines });
  const script = await runExpecting(i.command, [...i.args, i.file], 3);
  expect(script.err.map((l) => json(l))).toEqual([
    { line, error: { code, message: expect.any(String) as string } },
  ]);
  return progress;
}

/** The `i`-th of a run of ordinary audit records (a verdict each), for the tests of the log's commands. */
export const verdictRecord = (i: number) => ({
  actor: { kind: 'service' as const, id: 'actioner' },
  action: 'verdict.recorded',
  subject: { type: 'submission', id: `sub-${i}` },
  reason: `record ${i}`,
});

/** Signs a head over the whole stored log now, whatever the schedule, with the key `privateKeyPem`. */
export const signHeadNow = (privateKeyPem: string) =>
  signTreeHeadIfDue(db.pool, {
    key: loadSigningKey(privateKeyPem),
    schedule: { everyRecords: 1_000_000, everyMs: 3_600_000 },
    topic: null,
    force: true,
  });

/** Signs a head over the whole stored log of `pool` now with `key`, the keys `trusted` the log's (as at a rotation). */
export const signHeadWith = (pool: TestDatabase['pool'], key: SigningKey, trusted = [key]) =>
  signTreeHeadIfDue(pool, {
    key,
    trusted,
    schedule: { everyRecords: 1, everyMs: 3_600_000 },
    topic: null,
    force: true,
  }) as Promise<SignedTreeHead>;

/**
 * The set-up of the tests of the audit log's commands: modctl run by `auditor` on a schema of the file's own, a
 * list folder (`useListFolder(name)`) and a signing key pair, with which `signHead` signs a head now.
 */
export function useAuditorLog(name: string) {
  useModctlDatabase({ actor: 'auditor' });
  const file = useListFolder(name);
  const pair = generateSigningKeyPair();
  return { file, pair, signHead: () => signHeadNow(pair.privateKeyPem) };
}

/**
 * A log of five records whose key was rotated between two heads, for the tests of verify-log and verify-consistency
 * after a rotation: the key of `pair` (`old`) signs heads of sizes 2 and 3 (`kept`: the one of size 3), a new key
 * (`fresh`) the head of size 5 (`later`), both keys trusted; the new key's public key is in the file `freshKey` of
 * `file`'s folder.
 */
export async function rotatedAuditLog(
  pair: { privateKeyPem: string },
  file: (name: string) => string,
): Promise<{
  old: SigningKey;
  fresh: SigningKey;
  kept: SignedTreeHead;
  later: SignedTreeHead;
  logId: string;
  freshKey: string;
}> {
  const old = loadSigningKey(pair.privateKeyPem);
  await appendAuditBatch(db.pool, [0, 1].map(verdictRecord));
  await signHeadWith(db.pool, old);
  await appendAuditBatch(db.pool, [2].map(verdictRecord));
  const kept = await signHeadWith(db.pool, old);
  const freshPair = generateSigningKeyPair();
  const fresh = loadSigningKey(freshPair.privateKeyPem);
  await appendAuditBatch(db.pool, [3, 4].map(verdictRecord));
  const later = await signHeadWith(db.pool, fresh, [fresh, old]);
  const freshKey = file('fresh.pem');
  await writeFile(freshKey, freshPair.publicKeyPem);
  return { old, fresh, kept, later, logId: await auditLogId(db.pool), freshKey };
}

/**
 * The set-up of the tests of the list commands (`bank`, `url-list`): modctl run by the curator `alice`, its topics
 * prefixed `test.`, on a schema of the file's own; answers where a file of its list folder (`useListFolder(name)`) is.
 */
export function useListCommands(name: string): (file: string) => string {
  useModctlDatabase({ actor: 'alice', topicPrefix: 'test.' });
  return useListFolder(name);
}
