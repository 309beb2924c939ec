import { describe, expect, it } from 'vitest';
import { listBlockingSubscribers } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { tenantCommand } from './tenant.js';
import { db, exitOf, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

useModctlDatabase({ actor: 'alice' });

const tenantsAudit = async () => (await listAudit(db.pool, {})).filter((a) => a.subject.type === 'tenant');

describe('modctl tenant', () => {
  it('creates tenants (never overwriting one), lists them in id order page by page, changes, disables and enables; every change audited as the operator', async () => {
    const empty = await runExpecting(tenantCommand, ['list'], 0);
    expect(empty.out).toEqual([]);

    const ops = await runExpecting(
      tenantCommand,
      ['create', '--id', 'ops', '--kind', 'admin', '--name', 'Operations'],
      0,
    );
    expect(json(ops.out[0])).toMatchObject({
      id: 'ops',
      kind: 'admin',
      name: 'Operations',
      subscribedToBlocking: false,
      disabledAt: null,
    });
    const isp = await runExpecting(
      tenantCommand,
      ['create', '--id', 'isp-1', '--kind', 'isp', '--name', 'ISP One', '--subscribed-to-blocking', 'true'],
      0,
    );
    expect(json(isp.out[0])).toMatchObject({ id: 'isp-1', kind: 'isp', subscribedToBlocking: true });
    expect(
      await exitOf(tenantCommand, ['create', '--id', 'auth', '--kind', 'authority', '--name', 'Ministry']),
    ).toBe(0);
    expect(await listBlockingSubscribers(db.pool)).toEqual(['isp-1']);

    // An existing id is refused, not overwritten (an ISP cannot be turned into an authority by a typo).
    const again = await runExpecting(
      tenantCommand,
      ['create', '--id', 'isp-1', '--kind', 'authority', '--name', 'X'],
      1,
    );
    expect(json(again.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_TENANT_EXISTS' } });

    const all = await runExpecting(tenantCommand, ['list'], 0);
    expect(all.out.map((l) => json<{ id: string; kind: string }>(l))).toEqual([
      expect.objectContaining({ id: 'auth', kind: 'authority' }),
      expect.objectContaining({ id: 'isp-1', kind: 'isp' }),
      expect.objectContaining({ id: 'ops', kind: 'admin' }),
    ]);
    const page = await runExpecting(tenantCommand, ['list', '--limit', '1', '--after', 'auth'], 0);
    expect(page.out.map((l) => json<{ id: string }>(l).id)).toEqual(['isp-1']);

    const renamed = await runExpecting(
      tenantCommand,
      ['settings', '--id', 'isp-1', '--name', 'ISP One JSC', '--subscribed-to-blocking', 'false'],
      0,
    );
    expect(json(renamed.out[0])).toMatchObject({ name: 'ISP One JSC', subscribedToBlocking: false });
    expect(await listBlockingSubscribers(db.pool)).toEqual([]);

    const off = await runExpecting(tenantCommand, ['disable', '--id', 'isp-1'], 0);
    expect(json<{ disabledAt: string | null }>(off.out[0]).disabledAt).not.toBeNull();
    const on = await runExpecting(tenantCommand, ['enable', '--id', 'isp-1'], 0);
    expect(json(on.out[0])).toMatchObject({ disabledAt: null });

    const audit = await tenantsAudit();
    expect(audit.map((a) => [a.action, a.subject.id])).toEqual([
      ['tenant.created', 'ops'],
      ['tenant.created', 'isp-1'],
      ['tenant.created', 'auth'],
      ['tenant.changed', 'isp-1'],
      ['tenant.changed', 'isp-1'],
      ['tenant.changed', 'isp-1'],
    ]);
    expect(audit.every((a) => a.actor.id === 'modctl:alice' && a.role === 'admin')).toBe(true);
  });

  it('refuses values the admin API refuses (exit 2, coded), bad usage (exit 2) and unknown tenants (exit 1), changing nothing', async () => {
    const before = (await tenantsAudit()).length;
    const refused = async (args: string[], code: string) => {
      const c = await runExpecting(tenantCommand, args, 2);
      expect(json(c.err[0])).toMatchObject({ error: { code } });
    };
    await refused(['create', '--id', 'Ops2', '--kind', 'admin', '--name', 'x'], 'MOD_ERR_CLI_INVALID_VALUE');
    await refused(
      ['create', '--id', 'a'.repeat(64), '--kind', 'isp', '--name', 'x'],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    await refused(
      ['create', '--id', 'isp-2', '--kind', 'isp', '--name', 'a\u0007b'],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    await refused(['create', '--id', 'isp-2', '--kind', 'isp', '--name', ''], 'MOD_ERR_CLI_INVALID_VALUE');
    await refused(
      ['create', '--id', 'isp-2', '--kind', 'isp', '--name', 'n'.repeat(201)],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    await refused(['settings', '--id', 'ops', '--name', 'line\nbreak'], 'MOD_ERR_CLI_INVALID_VALUE');
    await refused(['list', '--after', 'NOT AN ID'], 'MOD_ERR_CLI_INVALID_VALUE');

    expect(await exitOf(tenantCommand, ['create', '--id', 'isp-2', '--kind', 'telco', '--name', 'x'])).toBe(
      2,
    );
    expect(await exitOf(tenantCommand, ['create', '--id', 'isp-2', '--kind', 'isp'])).toBe(2);
    expect(
      await exitOf(tenantCommand, [
        'create',
        '--id',
        'isp-2',
        '--kind',
        'isp',
        '--name',
        'x',
        '--subscribed-to-blocking',
        'yes',
      ]),
    ).toBe(2);
    expect(
      await exitOf(tenantCommand, ['create', '--id', 'isp-2', '--kind', 'isp', '--name', 'x', '--bogus']),
    ).toBe(2);
    expect(await exitOf(tenantCommand, ['settings', '--id', 'ops'])).toBe(2);
    expect(await exitOf(tenantCommand, ['settings', '--id', 'ops', '--kind', 'isp'])).toBe(2);
    expect(await exitOf(tenantCommand, ['disable', '--id', 'ops', '--name', 'x'])).toBe(2);
    expect(await exitOf(tenantCommand, ['list', '--limit', '0'])).toBe(2);
    expect(await exitOf(tenantCommand, ['rename'])).toBe(2);
    expect(await exitOf(tenantCommand, [])).toBe(2);

    const missing = await runExpecting(tenantCommand, ['disable', '--id', 'nobody'], 1);
    expect(json(missing.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_UNKNOWN_TENANT' } });

    const ids = (await db.pool.query<{ id: string }>('select id from tenants order by id')).rows.map(
      (r) => r.id,
    );
    expect(ids).toEqual(['auth', 'isp-1', 'ops']);
    expect((await tenantsAudit()).length).toBe(before);
  });
});
