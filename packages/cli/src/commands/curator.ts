import { userInfo } from 'node:os';
import { RECORD_LIMITS } from '@mod/audit';
import { databaseSpec, loadConfig, topicSpec } from '@mod/config';
import { topicNames } from '@mod/contracts';
import { hasUnsafeTextCharacter } from '@mod/contracts/text-rules';
import type { Curator } from '@mod/curation';
import { createPool, migrate, type Pool } from '@mod/db';
import { CliError, CliErrorCode } from '../errors.js';

/**
 * Shared by the commands that change the database (`bank`, `url-list`, `tenant`, `key`, `people`): argument
 * checks, the database, who acts.
 */

/** The end of the usage of the commands that manage access (`tenant`, `key`, `people`): environment, exit codes. */
export const ACCESS_USAGE_END = [
  'environment: DATABASE_URL, DATABASE_SCHEMA; MODCTL_ACTOR (who the audit log names; default the OS user)',
  'exit codes: 0 done; 1 failed (nothing changed); 2 usage or a value breaking its rule (nothing changed)',
] as const;

/** A key or person id as the database makes them (a UUID). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The rule of a bank's or URL list's `--name` (`isBankName` of `@mod/curation`, as the API has it). */
export const NAME_RULE = '--name: 1 to 100 of the letters A-Z a-z, digits and . _ -';

/** An option's value breaks the rule for its field (exit code 2). */
export const invalidValue = (message: string) => new CliError(CliErrorCode.InvalidValue, message);

/**
 * The first of a bank's or URL list's free-text options (`[flag, value, max]`: source, licence, version, scheme)
 * breaking the API's rule for it (1 to `max` characters, no control character: the text reaches exports, logs,
 * the console and terminals), or null.
 */
export function badListText(fields: readonly [string, string | undefined, number][]): CliError | null {
  for (const [flag, value, max] of fields)
    if (value !== undefined && (value === '' || [...value].length > max || hasUnsafeTextCharacter(value)))
      return invalidValue(`${flag}: 1 to ${max} characters without control characters`);
  return null;
}

export function isOneOf<T extends string>(values: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (values as readonly string[]).includes(v);
}

/**
 * Runs `fn` with a pool on the configured database (migrated first) and the topic that announces changes of
 * the given kind; the pool is closed afterwards.
 */
export async function withDatabase<T>(
  changes: 'bankChanges' | 'urlListChanges',
  fn: (pool: Pool, changesTopic: string) => Promise<T>,
): Promise<T> {
  return withPool((pool, topicPrefix) => fn(pool, topicNames(topicPrefix)[changes]));
}

/**
 * Runs `fn` with a pool on the configured database (migrated first, so an empty database works: the first
 * tenant and key are made with modctl) and the topic prefix; the pool is closed afterwards.
 */
export async function withPool<T>(fn: (pool: Pool, topicPrefix: string) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...databaseSpec, ...topicSpec }, process.env);
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    max: 2,
    applicationName: 'modctl',
  });
  try {
    await migrate(pool, config.DATABASE_SCHEMA);
    return await fn(pool, config.TOPIC_PREFIX);
  } finally {
    await pool.end();
  }
}

/** What MODCTL_ACTOR (or the OS user) may be: the audit log's opaque ids, after `modctl:`. */
const ACTOR_NAME = new RegExp(`^[A-Za-z0-9._:/+=-]{1,${RECORD_LIMITS.idMaxChars - 'modctl:'.length}}$`);

/**
 * OS accounts every operator shares, which name no one: the superuser, and the user the container image runs as
 * (`kubectl exec` and `docker compose run` give everyone `node`).
 */
const SHARED_ACCOUNTS: ReadonlySet<string> = new Set(['root', 'node']);

/** The account modctl runs under. */
function osAccount(): { username: string; uid: number } {
  try {
    const { username, uid } = userInfo();
    return { username, uid };
  } catch {
    return { username: 'unknown', uid: -1 };
  }
}

/**
 * Who the audit log names for changes made with modctl: MODCTL_ACTOR, else the OS user (under sudo, the user who
 * ran sudo), acting in `role` (`admin` for tenants and keys). Outside any tenant: whoever runs modctl holds the
 * database itself. An account every operator shares (root, the image's `node`) names no one: without MODCTL_ACTOR
 * it is refused (MOD_ERR_CLI_ACTOR_UNKNOWN), as is a name the log would have to alter (MOD_ERR_CLI_INVALID_VALUE),
 * before anything is done.
 */
export function operator(
  role: 'curator' | 'admin' = 'curator',
  env: Readonly<Record<string, string | undefined>> = process.env,
  account: () => { username: string; uid: number } = osAccount,
): Curator {
  let name = env['MODCTL_ACTOR'] ?? '';
  if (name === '') {
    const os = account();
    name = os.uid === 0 && (env['SUDO_USER'] ?? '') !== '' ? (env['SUDO_USER'] ?? '') : os.username;
    if (SHARED_ACCOUNTS.has(name))
      throw new CliError(
        CliErrorCode.ActorUnknown,
        `the OS user ${name} names no one: set MODCTL_ACTOR to who you are (the audit log records it)`,
      );
  }
  if (!ACTOR_NAME.test(name))
    throw invalidValue(
      `MODCTL_ACTOR (or the OS user) must be 1 to ${RECORD_LIMITS.idMaxChars - 'modctl:'.length} of A-Z a-z 0-9 . _ : / + = -`,
    );
  return { actor: { kind: 'user', id: `modctl:${name}` }, role, tenantId: null };
}
