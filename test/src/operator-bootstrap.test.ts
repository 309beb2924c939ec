import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { createProducer, type Producer } from '@mod/kafka';
import { buildWorldApp, createWorld, type World } from './helpers.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

let world: World;
let producer: Producer;
let app: FastifyInstance;

beforeAll(async () => {
  world = createWorld();
  producer = await createProducer(world.kafka);
});
afterAll(async () => {
  await app?.close();
  await producer?.disconnect();
  await world?.drop();
});

/** `pnpm -s modctl ...` from the repository root, as the README has operators run it. */
async function modctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('pnpm', ['-s', 'modctl', ...args], {
      cwd: root,
      env: { ...process.env, ...world.env, MODCTL_ACTOR: 'carol' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('operators start from an empty database with modctl alone (no demo seed, no SQL)', () => {
  it('creates the admin tenant and the first admin key, which then administers the API; revoking it shuts it out', async () => {
    const tables = await world.db.query(`select 1 from information_schema.tables where table_schema = $1`, [
      world.schema,
    ]);
    expect(tables.rowCount).toBe(0);

    const help = await modctl('--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^ {2}tenant /m);
    expect(help.stdout).toMatch(/^ {2}key /m);

    // The first command migrates the empty schema; there is no tenant yet.
    expect(await modctl('tenant', 'list')).toMatchObject({ code: 0, stdout: '' });
    const ops = await modctl('tenant', 'create', '--id', 'ops', '--kind', 'admin', '--name', 'Operations');
    expect(ops.code).toBe(0);
    expect(JSON.parse(ops.stdout)).toMatchObject({ id: 'ops', kind: 'admin', disabledAt: null });
    const issued = await modctl(
      'key',
      'issue',
      '--tenant',
      'ops',
      '--role',
      'admin',
      '--label',
      'first admin',
    );
    expect(issued).toMatchObject({ code: 0, stderr: '' });
    const first = JSON.parse(issued.stdout) as { id: string; key: string; prefix: string; role: string };
    expect(first).toMatchObject({ role: 'admin', tenantId: 'ops' });

    app = await buildWorldApp(world, producer, { maxUploadBytes: 64 * 1024 });
    const me = await app.inject({ url: '/v1/me', headers: auth(first.key) });
    expect(me.json()).toMatchObject({ tenantId: 'ops', role: 'admin', credential: 'api-key' });
    const tenants = await app.inject({ url: '/v1/admin/tenants', headers: auth(first.key) });
    expect(tenants.statusCode).toBe(200);
    expect(tenants.json<{ tenants: { id: string }[] }>().tenants.map((t) => t.id)).toEqual(['ops']);
    const isp = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: auth(first.key),
      payload: { id: 'isp-1', kind: 'isp', name: 'ISP One', subscribedToBlocking: true },
    });
    expect(isp.statusCode).toBe(201);
    const ispKey = await app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/isp-1/keys',
      headers: auth(first.key),
      payload: { role: 'isp' },
    });
    expect(ispKey.statusCode).toBe(201);
    const ispSecret = ispKey.json<{ key: string }>().key;

    // modctl sees what the API made; no listing shows a secret.
    const listed = await modctl('key', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; tenantId: string });
    expect(lines.map((k) => k.tenantId)).toEqual(['isp-1', 'ops']);
    expect(listed.stdout).not.toContain(first.key.slice(17));
    expect(listed.stdout).not.toContain(ispSecret.slice(17));

    expect((await modctl('key', 'revoke', '--id', first.id)).code).toBe(0);
    const after = await app.inject({ url: '/v1/admin/tenants', headers: auth(first.key) });
    expect(after.statusCode).toBe(401);

    const audit = await listAudit(world.db, { limit: 10_000 });
    const changes = audit
      .filter((a) => a.action.startsWith('tenant.') || a.action.startsWith('key.'))
      .map((a) => [a.action, a.subject.id, a.actor.id]);
    expect(changes).toEqual([
      ['tenant.created', 'ops', 'modctl:carol'],
      ['key.created', first.id, 'modctl:carol'],
      ['tenant.created', 'isp-1', first.id],
      ['key.created', ispKey.json<{ id: string }>().id, first.id],
      ['key.revoked', first.id, 'modctl:carol'],
    ]);
    const stored = await world.db.query(
      `select (select json_agg(r) from audit_records r) as records, (select json_agg(e) from audit_evidence e) as evidence`,
    );
    expect(JSON.stringify(stored.rows)).not.toContain(first.key.slice(17));
  });
});
