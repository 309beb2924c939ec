import { describe, expect, it } from 'vitest';
import { tenantCommand } from './tenant.js';
import { operator } from './curator.js';
import { db, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

useModctlDatabase({ actor: 'alice' });

/** Who the audit log would name, given the environment and the OS account modctl runs under. */
const actorOf = (env: Record<string, string>, account: { username: string; uid: number }) => {
  try {
    return operator('admin', env, () => account).actor.id;
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('who modctl puts on record (MODCTL_ACTOR, else the OS user)', () => {
  it('names a person, never an account shared by every operator (the container image runs as node; root)', () => {
    expect(actorOf({ MODCTL_ACTOR: 'carol' }, { username: 'node', uid: 1000 })).toBe('modctl:carol');
    expect(actorOf({}, { username: 'dana', uid: 1001 })).toBe('modctl:dana');
    // `kubectl exec ... modctl`, `docker compose run ... modctl`: every operator is the image's user.
    expect(actorOf({}, { username: 'node', uid: 1000 })).toBe('MOD_ERR_CLI_ACTOR_UNKNOWN');
    expect(actorOf({}, { username: 'root', uid: 0 })).toBe('MOD_ERR_CLI_ACTOR_UNKNOWN');
    // sudo keeps who ran it.
    expect(actorOf({ SUDO_USER: 'erin' }, { username: 'root', uid: 0 })).toBe('modctl:erin');
    expect(actorOf({ SUDO_USER: 'erin' }, { username: 'frank', uid: 1002 })).toBe('modctl:frank');
    // A name the audit log cannot hold as it is (it would record another: 'two words' as 'two_words') is refused.
    expect(actorOf({ MODCTL_ACTOR: 'Nguyễn An' }, { username: 'dana', uid: 1001 })).toBe(
      'MOD_ERR_CLI_INVALID_VALUE',
    );
  });

  it('changes nothing when it cannot name who acts', async () => {
    const saved = process.env['MODCTL_ACTOR'];
    process.env['MODCTL_ACTOR'] = 'two words';
    try {
      const run = await runExpecting(
        tenantCommand,
        ['create', '--id', 'unnamed', '--kind', 'isp', '--name', 'Unnamed'],
        1,
      );
      expect(json(run.err.at(-1))).toMatchObject({ error: { code: 'MOD_ERR_CLI_INVALID_VALUE' } });
    } finally {
      process.env['MODCTL_ACTOR'] = saved;
    }
    expect((await db.pool.query(`select 1 from tenants where id = 'unnamed'`)).rows).toEqual([]);
  });
});
