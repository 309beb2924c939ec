import { beforeAll, describe, expect, it } from 'vitest';
import { upsertTenant, verifyApiKey } from '@mod/db/access';
import { listAudit } from '@mod/db/audit';
import { keyCommand } from './key.js';
import { db, exitOf, json, runExpecting, useModctlDatabase } from './modctl-database.test-helper.js';

interface Issued {
  id: string;
  tenantId: string;
  role: string;
  prefix: string;
  key: string;
  expiresAt: string | null;
}

useModctlDatabase({ actor: 'bob' });
beforeAll(async () => {
  await upsertTenant(db.pool, { id: 'ops', kind: 'admin', name: 'Operations', subscribedToBlocking: false });
  await upsertTenant(db.pool, { id: 'isp-1', kind: 'isp', name: 'ISP One', subscribedToBlocking: true });
});

/** Everything the database holds besides key digests: audit records and evidence, key rows as text. */
async function storedText(): Promise<string> {
  const q = async (sql: string) => JSON.stringify((await db.pool.query(sql)).rows);
  return [
    await q('select * from audit_records'),
    await q('select * from audit_evidence'),
    await q('select * from api_keys'),
  ].join('\n');
}

const keyAudit = async () => (await listAudit(db.pool, {})).filter((a) => a.subject.type === 'api_key');

describe('modctl key', () => {
  it('issues a key that authenticates, shows its secret once (stdout only), lists keys without secrets, revokes idempotently; audited as the operator', async () => {
    const first = await runExpecting(
      keyCommand,
      ['issue', '--tenant', 'ops', '--role', 'admin', '--label', 'first admin'],
      0,
    );
    expect(first.err).toEqual([]);
    expect(first.out).toHaveLength(1);
    const issued = json<Issued>(first.out[0]);
    // Exactly the fields the admin API answers with when it issues a key.
    expect(Object.keys(issued).sort()).toEqual(['expiresAt', 'id', 'key', 'prefix', 'role', 'tenantId']);
    expect(issued).toMatchObject({ tenantId: 'ops', role: 'admin', expiresAt: null });
    expect(issued.key).toMatch(/^mod_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{31,}$/);
    expect(issued.key.startsWith(`mod_${issued.prefix}_`)).toBe(true);
    expect(await verifyApiKey(db.pool, issued.key, new Date())).toMatchObject({
      ok: true,
      principal: { keyId: issued.id, tenantId: 'ops', tenantKind: 'admin', role: 'admin' },
    });
    const secret = issued.key.slice(`mod_${issued.prefix}_`.length);
    expect(await storedText()).not.toContain(secret);

    const later = new Date(Date.now() + 86_400_000).toISOString();
    const isp = await runExpecting(
      keyCommand,
      ['issue', '--tenant', 'isp-1', '--role', 'isp', '--expires-at', later],
      0,
    );
    const ispKey = json<Issued>(isp.out[0]);
    expect(ispKey).toMatchObject({ tenantId: 'isp-1', role: 'isp', expiresAt: later });

    const listed = await runExpecting(keyCommand, ['list', '--tenant', 'ops'], 0);
    expect(listed.out.map((l) => json(l))).toEqual([
      expect.objectContaining({
        id: issued.id,
        prefix: issued.prefix,
        label: 'first admin',
        createdBy: 'modctl:bob',
      }),
    ]);
    const every = await runExpecting(keyCommand, ['list'], 0);
    // Tenants in id order (isp-1 before ops), no secret and no digest anywhere.
    expect(every.out.map((l) => json<{ id: string }>(l).id)).toEqual([ispKey.id, issued.id]);
    expect(every.out.every((l) => !('key' in json(l)) && !('keySha256' in json(l)))).toBe(true);
    expect(every.out.join('\n')).not.toContain(secret);
    expect(every.out.join('\n')).not.toContain(ispKey.key.slice(17));

    const revoke = await runExpecting(
      keyCommand,
      ['revoke', '--id', ispKey.id, '--reason', 'leaked in a ticket'],
      0,
    );
    const revokedAt = json<{ revokedAt: string | null }>(revoke.out[0]).revokedAt;
    expect(revokedAt).not.toBeNull();
    expect(await verifyApiKey(db.pool, ispKey.key, new Date())).toEqual({ ok: false, reason: 'revoked' });
    const twice = await runExpecting(keyCommand, ['revoke', '--id', ispKey.id], 0);
    expect(json(twice.out[0])).toMatchObject({ revokedAt });

    const audit = await keyAudit();
    expect(audit.map((a) => [a.action, a.subject.id])).toEqual([
      ['key.created', issued.id],
      ['key.created', ispKey.id],
      ['key.revoked', ispKey.id],
    ]);
    expect(audit.every((a) => a.actor.id === 'modctl:bob' && a.role === 'admin')).toBe(true);
    expect(audit[2]?.reason).toBe('leaked in a ticket');
    expect(await storedText()).not.toContain(ispKey.key.slice(17));
  });

  it('refuses a role the tenant kind may not have, unknown tenants and keys (exit 1), and bad values (exit 2), issuing nothing', async () => {
    const keysBefore = (await db.pool.query('select id from api_keys')).rowCount;
    const auditBefore = (await keyAudit()).length;

    const escalate = await runExpecting(keyCommand, ['issue', '--tenant', 'isp-1', '--role', 'admin'], 1);
    expect(json(escalate.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_ROLE_NOT_FOR_TENANT' } });
    const nobody = await runExpecting(keyCommand, ['issue', '--tenant', 'nobody', '--role', 'isp'], 1);
    expect(json(nobody.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_UNKNOWN_TENANT' } });
    const noKey = await runExpecting(
      keyCommand,
      ['revoke', '--id', '00000000-0000-4000-8000-000000000000'],
      1,
    );
    expect(json(noKey.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_UNKNOWN_KEY' } });
    const noTenant = await runExpecting(keyCommand, ['list', '--tenant', 'nobody'], 1);
    expect(json(noTenant.err[0])).toMatchObject({ error: { code: 'MOD_ERR_CLI_UNKNOWN_TENANT' } });

    const refused = async (args: string[], code: string) => {
      const c = await runExpecting(keyCommand, args, 2);
      expect(json(c.err[0])).toMatchObject({ error: { code } });
    };
    const past = new Date(Date.now() - 1000).toISOString();
    await refused(
      ['issue', '--tenant', 'isp-1', '--role', 'isp', '--expires-at', past],
      'MOD_ERR_CLI_EXPIRY_PAST',
    );
    await refused(
      ['issue', '--tenant', 'isp-1', '--role', 'isp', '--expires-at', 'tomorrow'],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    await refused(
      ['issue', '--tenant', 'isp-1', '--role', 'isp', '--expires-at', '2999-01-01T00:00:00'],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    // Times no calendar has, which Date would roll on to another (30 February is 2 March: a key living days longer
    // than the operator wrote); the admin API's date-time refuses them too.
    for (const time of [
      '2999-02-30T00:00:00Z',
      '2999-04-31T12:00:00Z',
      '2999-13-01T00:00:00Z',
      '2999-01-01T24:00:00Z',
    ])
      await refused(
        ['issue', '--tenant', 'isp-1', '--role', 'isp', '--expires-at', time],
        'MOD_ERR_CLI_INVALID_VALUE',
      );
    await refused(
      ['issue', '--tenant', 'isp-1', '--role', 'isp', '--label', 'l'.repeat(101)],
      'MOD_ERR_CLI_INVALID_VALUE',
    );
    await refused(['issue', '--tenant', 'ISP 1', '--role', 'isp'], 'MOD_ERR_CLI_INVALID_VALUE');
    await refused(['revoke', '--id', 'not-a-uuid'], 'MOD_ERR_CLI_INVALID_VALUE');

    expect(await exitOf(keyCommand, ['issue', '--tenant', 'isp-1', '--role', 'root'])).toBe(2);
    expect(await exitOf(keyCommand, ['issue', '--role', 'isp'])).toBe(2);
    expect(await exitOf(keyCommand, ['revoke'])).toBe(2);
    expect(await exitOf(keyCommand, ['list', '--limit', '-1'])).toBe(2);
    expect(await exitOf(keyCommand, ['issue', '--tenant', 'isp-1', '--role', 'isp', '--key', 'x'])).toBe(2);
    expect(await exitOf(keyCommand, ['rotate'])).toBe(2);
    expect(await exitOf(keyCommand, [])).toBe(2);

    expect((await db.pool.query('select id from api_keys')).rowCount).toBe(keysBefore);
    expect((await keyAudit()).length).toBe(auditBefore);
  });
});
