import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { createSignInStore } from '@mod/db/people';
import { DEFAULT_LOCKOUT_POLICY, hashPassword, parseSecretKey, signIn } from '@mod/people';
import { seedTenants } from '@mod/testing';
import { peopleCommand } from './people.js';
import { db, json, runCommand, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

interface Issued {
  person: { id: string; login: string; role: string; mustChangePassword: boolean };
  oneTimePassword: string;
  oneTimePasswordExpiresAt: string;
}

useModctlDatabase({ actor: 'carol' });
beforeAll(async () => {
  await seedTenants(db.pool, [
    { id: 'hotline', kind: 'hotline' },
    { id: 'isp-1', kind: 'isp', subscribedToBlocking: false },
  ]);
});

/** Signs in as the PostgreSQL store and the API would (no TOTP yet: a one-time password asks for none). */
const firstSignIn = async (login: string, password: string) =>
  signIn(
    { login, password, clientAddress: '127.0.0.1' },
    {
      store: createSignInStore(db.pool),
      secretKey: parseSecretKey(randomBytes(32).toString('hex')),
      policy: DEFAULT_LOCKOUT_POLICY,
      nowMs: Date.now(),
      decoyHash: await hashPassword('decoy decoy decoy', { memoryKiB: 64, passes: 1, parallelism: 1 }),
    },
  );

describe('modctl people', () => {
  it('adds a person and prints their one-time password once, which signs in to a password change', async () => {
    const { code, out, err } = await runCommand(peopleCommand, [
      'add',
      '--tenant',
      'hotline',
      '--login',
      'Reviewer.Demo',
      '--role',
      'reviewer',
      '--name',
      'Người duyệt',
    ]);
    expect([code, err]).toEqual([0, []]);
    const issued = json<Issued>(out[0]);
    expect(issued.person).toMatchObject({
      login: 'reviewer.demo',
      role: 'reviewer',
      mustChangePassword: true,
    });
    expect(issued.oneTimePassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(await firstSignIn('reviewer.demo', issued.oneTimePassword)).toMatchObject({
      ok: true,
      stage: 'password',
    });
    const [record] = await listAudit(db.pool, { subjectId: issued.person.id });
    expect(record).toMatchObject({ action: 'person.created', actor: { kind: 'user', id: 'modctl:carol' } });
    // The password is in no table and in no audit record.
    const stored = JSON.stringify((await db.pool.query(`select * from people`)).rows);
    expect(stored).not.toContain(issued.oneTimePassword);

    const list = await runExpecting(peopleCommand, ['list', '--tenant', 'hotline'], 0);
    expect(list.out.map((l) => json<{ login: string }>(l).login)).toEqual(['reviewer.demo']);
    expect(list.out.join('\n')).not.toContain('argon2');

    const reset = await runExpecting(peopleCommand, ['reset', '--id', issued.person.id], 0);
    const again = json<Issued>(reset.out[0]);
    expect(again.oneTimePassword).not.toBe(issued.oneTimePassword);
    expect(await firstSignIn('reviewer.demo', issued.oneTimePassword)).toMatchObject({ ok: false });
    expect(await firstSignIn('reviewer.demo', again.oneTimePassword)).toMatchObject({ ok: true });
  });

  it('refuses a taken login, a role the tenant may not give a person, bad values and an unknown person', async () => {
    const run = async (args: string[]) => {
      const { code, err } = await runCommand(peopleCommand, args);
      const last = err.at(-1);
      if (last === undefined) return [code, undefined];
      return [code, last.startsWith('{') ? json<{ error?: { code: string } }>(last).error?.code : 'usage'];
    };
    const add = (over: Record<string, string>) => {
      const a = { tenant: 'hotline', login: 'curator.x', role: 'curator', name: 'X', ...over };
      return run(['add', ...Object.entries(a).flatMap(([k, v]) => [`--${k}`, v])]);
    };
    expect(await add({})).toEqual([0, undefined]);
    expect(await add({})).toEqual([1, 'MOD_ERR_CLI_LOGIN_TAKEN']);
    expect(await add({ login: 'x.isp', tenant: 'isp-1', role: 'authority' })).toEqual([
      1,
      'MOD_ERR_CLI_ROLE_NOT_FOR_TENANT',
    ]);
    expect(await add({ login: 'x.admin', role: 'admin' })).toEqual([1, 'MOD_ERR_CLI_ROLE_NOT_FOR_TENANT']);
    expect(await add({ login: 'x.none', tenant: 'nowhere' })).toEqual([1, 'MOD_ERR_CLI_UNKNOWN_TENANT']);
    expect(await add({ login: 'no' })).toEqual([2, 'MOD_ERR_CLI_INVALID_VALUE']);
    expect(await add({ role: 'isp' })).toEqual([2, 'usage']);
    expect(await run(['reset', '--id', 'not-a-uuid'])).toEqual([2, 'MOD_ERR_CLI_INVALID_VALUE']);
    expect(await run(['reset', '--id', '00000000-0000-4000-8000-000000000000'])).toEqual([
      1,
      'MOD_ERR_CLI_UNKNOWN_PERSON',
    ]);
  });
});
