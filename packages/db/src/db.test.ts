import { describe, expect, it } from 'vitest';
import { ModError } from '@mod/contracts';
import { createPool, isRetriablePgError, migrate, toDatabaseError, withTransaction } from './index.js';
import { createApiKey, verifyApiKey } from './domains/access.js';
import { appendAudit, listAudit, verifyStoredLog } from './domains/audit.js';
import { getOrder, openOrder } from './domains/orders.js';
import { relayOutbox, enqueueOutbox } from './domains/outbox.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'isp-a': { kind: 'isp', subscribedToBlocking: true }, 'plat-1': 'platform' });

describe('migrations', () => {
  it('are applied once: a second run applies nothing', async () => {
    expect(await migrate(db.pool, db.schema)).toEqual([]);
  });
});

describe('api keys', () => {
  it('verifies a fresh key and refuses revoked, expired, unknown and malformed ones', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const good = await createApiKey(db.pool, { tenantId: 'isp-a', role: 'isp' });
    const check = await verifyApiKey(db.pool, good.key, now);
    expect(check).toMatchObject({
      ok: true,
      principal: { tenantId: 'isp-a', role: 'isp', tenantKind: 'isp' },
    });
    const expired = await createApiKey(db.pool, {
      tenantId: 'isp-a',
      role: 'isp',
      expiresAt: new Date('2025-12-31T00:00:00Z'),
    });
    expect(await verifyApiKey(db.pool, expired.key, now)).toEqual({ ok: false, reason: 'expired' });
    const revoked = await createApiKey(db.pool, { tenantId: 'isp-a', role: 'isp' });
    await db.pool.query('update api_keys set revoked_at = now() where id = $1', [revoked.id]);
    expect(await verifyApiKey(db.pool, revoked.key, now)).toEqual({ ok: false, reason: 'revoked' });
    const forged = good.key.slice(0, -4) + (good.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await verifyApiKey(db.pool, forged, now)).toEqual({ ok: false, reason: 'unknown' });
    expect(await verifyApiKey(db.pool, "' or 1=1 --", now)).toEqual({ ok: false, reason: 'malformed' });
    const stored = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from api_keys where encode(key_sha256, 'escape') like '%' || $1 || '%'`,
      [good.key.slice(20)],
    );
    expect(stored.rows[0]?.n).toBe(0);
  });
});

describe('orders', () => {
  const order = testOrder({ subjectValue: 'cd'.repeat(32), targetTenantId: 'isp-a' });

  it('folds a duplicate into the open order and scopes reads by tenant', async () => {
    const first = await openOrder(db.pool, order);
    const second = await openOrder(db.pool, order);
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(
      (await getOrder(db.pool, first.id, { all: false, targetTenantId: 'isp-a' }))?.history.map(
        (h) => h.status,
      ),
    ).toEqual(['issued']);
    expect(await getOrder(db.pool, first.id, { all: false, targetTenantId: 'plat-1' })).toBeNull();
  });
});

describe('outbox', () => {
  it('publishes committed messages once, in order, and keeps them when publishing fails', async () => {
    await withTransaction(db.pool, async (c) => {
      await enqueueOutbox(c, 'topic-a', 'k1', { n: 1 });
      await enqueueOutbox(c, 'topic-a', 'k2', { n: 2 });
    });
    await expect(relayOutbox(db.pool, () => Promise.reject(new Error('broker down')))).rejects.toThrow(
      'broker down',
    );
    const seen: unknown[] = [];
    expect(await relayOutbox(db.pool, async (m) => void seen.push(...m.map((x) => x.payload)))).toBe(2);
    expect(await relayOutbox(db.pool, async (m) => void seen.push(...m.map((x) => x.payload)))).toBe(0);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('audit log', () => {
  it('appends Merkle records, refuses UPDATE and DELETE, and detects a record altered by the owner', async () => {
    for (let i = 0; i < 3; i++) {
      await withTransaction(db.pool, (c) =>
        appendAudit(c, {
          actor: { kind: 'service', id: 'test' },
          action: 'thing.done',
          subject: { type: 'thing', id: `t${i}` },
        }),
      );
    }
    const records = await listAudit(db.pool);
    expect(records.map((r) => r.subject.id)).toEqual(['t0', 't1', 't2']);
    expect(await verifyStoredLog(db.pool)).toMatchObject({ ok: true, records: 3 });
    await expect(db.pool.query(`update audit_records set record = 'x'`)).rejects.toMatchObject({
      code: '42501',
    });
    await expect(db.pool.query(`delete from audit_records`)).rejects.toMatchObject({ code: '42501' });
    // The schema owner can disable the trigger; the stored leaf hashes still show the change.
    await withTransaction(db.pool, async (c) => {
      await c.query('alter table audit_records disable trigger audit_records_append_only');
      await c.query(`update audit_records set record = replace(record, '"t1"', '"forged"') where seq = 1`);
      await c.query('alter table audit_records enable trigger audit_records_append_only');
    });
    const result = await verifyStoredLog(db.pool);
    expect(result).toMatchObject({ ok: false, error: { reason: 'changed', firstBadRecord: { seq: 1 } } });
  });
});

describe('database failures', () => {
  it('retries any failure to connect, whatever the server answered; a statement wrong for the data is not retried', async () => {
    // A database that does not exist: the server answers 3D000 at connect. Not the message's fault.
    const url = new URL(db.connectionString);
    url.pathname = `/missing_${Date.now()}`;
    const missing = createPool({ connectionString: url.toString(), max: 1 });
    try {
      const viaTransaction = await withTransaction(missing, async () => 1).catch((e: unknown) => e);
      expect(viaTransaction).toMatchObject({ code: 'MOD_ERR_DB_UNAVAILABLE', retriable: true });
      const viaQuery = await missing.query('select 1').catch((e: unknown) => e);
      expect((viaQuery as { code?: string }).code).toBe('3D000');
      expect(isRetriablePgError(viaQuery)).toBe(true);
    } finally {
      await missing.end();
    }
    // The same kind of server error from a statement of ours is the statement's: dead-lettered, not retried.
    const statement = await db.pool.query('select 1 / 0').catch((e: unknown) => e);
    expect(isRetriablePgError(statement)).toBe(false);
    expect(toDatabaseError(statement, 'q')).toMatchObject({ code: 'MOD_ERR_DB_REJECTED', retriable: false });
    // A coded refusal raised inside the transaction (an audit record that cannot be written, a policy's refusal)
    // keeps its code and whether it is worth retrying: made 'unavailable', it was retried for ever and its
    // partition stood still behind it.
    const refusal = await withTransaction(db.pool, () => {
      throw new ModError('MOD_ERR_AUDIT_INVALID_RECORD', 'no', { retriable: false });
    }).catch((e: unknown) => e);
    expect(toDatabaseError(refusal, 'q')).toMatchObject({
      code: 'MOD_ERR_AUDIT_INVALID_RECORD',
      retriable: false,
    });
  });

  it('survives a backend terminated inside a transaction: the transaction fails retriably, the pool goes on', async () => {
    const pid = await withTransaction(db.pool, async (c) => {
      const { rows } = await c.query<{ pid: number }>('select pg_backend_pid() as pid');
      return rows[0]?.pid ?? 0;
    });
    const failed = await withTransaction(db.pool, async (c) => {
      const { rows } = await c.query<{ pid: number }>('select pg_backend_pid() as pid');
      // Terminated from another connection while this transaction is open (a failover, an operator).
      await db.pool.query('select pg_terminate_backend($1)', [rows[0]?.pid ?? pid]);
      await new Promise((r) => setTimeout(r, 100));
      await c.query('select 1');
    }).catch((e: unknown) => e);
    expect(isRetriablePgError(failed)).toBe(true);
    const { rows } = await db.pool.query<{ one: number }>('select 1 as one');
    expect(rows[0]?.one).toBe(1);
  });
});
