import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate, migrationsDir, withTransaction } from './index.js';
import { upsertTenant } from './domains/access.js';
import {
  commandOrder,
  getOrder,
  listOrders,
  openOrder,
  orderStats,
  type OrderCommand,
  type OrderInput,
  type OrderScope,
} from './domains/orders.js';
import { db, testOrder, useTestSchema } from './testing.test-helper.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const A: OrderScope = { all: false, authorityTenantId: 'auth-a' };
const B: OrderScope = { all: false, authorityTenantId: 'auth-b' };
const ALL: OrderScope = { all: true };

/** Order ids by what they are to the two authorities. */
const ids = {} as Record<
  'issuedByA' | 'issuedByB' | 'pending' | 'confirmedByA' | 'confirmedByB' | 'withdrawnUnconfirmed',
  string
>;

/** A test order issued an hour before `NOW`, due a day after it. */
const order = (over: Partial<OrderInput>): OrderInput =>
  testOrder({
    deadlineAt: new Date(NOW.getTime() + 86_400_000),
    issuedAt: new Date(NOW.getTime() - 3_600_000),
    ...over,
  });
const byHand = (tenant: string, target: string): Partial<OrderInput> => ({
  kind: 'takedown',
  targetTenantId: target,
  issuer: { kind: 'authority', id: tenant },
  issuerTenantId: tenant,
});
const command = (id: string, scope: OrderScope, c: OrderCommand, actorTenantId: string) =>
  withTransaction(db.pool, (tx) =>
    commandOrder(tx, {
      id,
      scope,
      command: c,
      now: NOW,
      actor: `authority:${actorTenantId}:k`,
      actorTenantId,
    }),
  );
const visible = async (scope: OrderScope) =>
  new Set((await listOrders(db.pool, { scope, limit: 100, now: NOW })).map((o) => o.id));

useTestSchema({ 'auth-a': 'authority', 'auth-b': 'authority', 'isp-1': 'isp', 'plat-1': 'platform' });
beforeAll(async () => {
  ids.issuedByA = (await openOrder(db.pool, order(byHand('auth-a', 'plat-1')))).id;
  ids.issuedByB = (await openOrder(db.pool, order(byHand('auth-b', 'plat-1')))).id;
  ids.pending = (await openOrder(db.pool, order({}))).id;
  ids.confirmedByA = (await openOrder(db.pool, order({}))).id;
  ids.confirmedByB = (await openOrder(db.pool, order({ targetTenantId: 'plat-1', kind: 'takedown' }))).id;
  ids.withdrawnUnconfirmed = (await openOrder(db.pool, order({}))).id;
  expect((await command(ids.confirmedByA, A, { type: 'confirm' }, 'auth-a')).ok).toBe(true);
  expect((await command(ids.confirmedByB, B, { type: 'confirm' }, 'auth-b')).ok).toBe(true);
  expect(
    (await command(ids.withdrawnUnconfirmed, B, { type: 'withdraw', reason: 'false match' }, 'auth-b')).ok,
  ).toBe(true);
});

describe('order scope of an authority', () => {
  it('lists the orders it issued or confirmed and unconfirmed automatic orders, nothing of another authority', async () => {
    expect(await visible(A)).toEqual(
      new Set([ids.issuedByA, ids.confirmedByA, ids.pending, ids.withdrawnUnconfirmed]),
    );
    expect(await visible(B)).toEqual(
      new Set([ids.issuedByB, ids.confirmedByB, ids.pending, ids.withdrawnUnconfirmed]),
    );
    expect(await visible(ALL)).toEqual(new Set(Object.values(ids)));
    // Targets: exactly the orders addressed to them, whoever issued or confirmed them.
    expect(await visible({ all: false, targetTenantId: 'plat-1' })).toEqual(
      new Set([ids.issuedByA, ids.issuedByB, ids.confirmedByB]),
    );
  });

  it('reads another authority’s issued or confirmed order as absent, and its own as present', async () => {
    expect(await getOrder(db.pool, ids.issuedByB, A, NOW)).toBeNull();
    expect(await getOrder(db.pool, ids.confirmedByB, A, NOW)).toBeNull();
    expect(await getOrder(db.pool, ids.issuedByA, B, NOW)).toBeNull();
    expect(await getOrder(db.pool, ids.issuedByA, A, NOW)).toMatchObject({ issuerTenantId: 'auth-a' });
    expect(await getOrder(db.pool, ids.confirmedByA, A, NOW)).toMatchObject({
      confirmedByTenantId: 'auth-a',
      confirmedBy: 'authority:auth-a:k',
    });
    expect(await getOrder(db.pool, ids.pending, B, NOW)).toMatchObject({ confirmedAt: null });
  });

  it('refuses commands on another authority’s order as not found and leaves the order unchanged', async () => {
    const before = await getOrder(db.pool, ids.issuedByB, ALL, NOW);
    expect(await command(ids.issuedByB, A, { type: 'pause', reason: 'mine now' }, 'auth-a')).toEqual({
      ok: false,
      notFound: true,
    });
    expect(await command(ids.confirmedByB, A, { type: 'withdraw', reason: 'x' }, 'auth-a')).toEqual({
      ok: false,
      notFound: true,
    });
    expect(await getOrder(db.pool, ids.issuedByB, ALL, NOW)).toEqual(before);
    // Its own order: the same command applies.
    const own = await command(ids.issuedByA, A, { type: 'pause', reason: 'clarify' }, 'auth-a');
    expect(own.ok && own.order.clock.pausedAt).toBe(NOW.toISOString());
  });

  it('gives a confirmed automatic order to the confirming authority alone', async () => {
    const fresh = (await openOrder(db.pool, order({}))).id;
    expect(await getOrder(db.pool, fresh, A, NOW)).not.toBeNull();
    expect(await getOrder(db.pool, fresh, B, NOW)).not.toBeNull();
    const confirmed = await command(fresh, B, { type: 'confirm' }, 'auth-b');
    expect(confirmed.ok && confirmed.order.confirmedByTenantId).toBe('auth-b');
    expect(await getOrder(db.pool, fresh, A, NOW)).toBeNull();
    expect(await getOrder(db.pool, fresh, B, NOW)).not.toBeNull();
    // A late confirmation by the other authority does not reach it.
    expect(await command(fresh, A, { type: 'confirm' }, 'auth-a')).toEqual({ ok: false, notFound: true });
  });

  it('counts in the statistics exactly the orders it sees', async () => {
    const stats = await orderStats(db.pool, { scope: A, now: NOW });
    const seen = await listOrders(db.pool, { scope: A, limit: 100, now: NOW });
    expect(stats.overall.received).toBe(seen.length);
    expect(stats.overall.received).toBeLessThan(
      (await orderStats(db.pool, { scope: ALL, now: NOW })).overall.received,
    );
    const perTarget = new Map<string, number>();
    for (const o of seen) perTarget.set(o.targetTenantId, (perTarget.get(o.targetTenantId) ?? 0) + 1);
    expect(new Map(stats.byTarget.map((t) => [t.targetTenantId, t.received]))).toEqual(perTarget);
    // Authority A sees one takedown (its own); B's issued and confirmed takedowns are not counted.
    expect(stats.byKind.find((k) => k.kind === 'takedown')?.received).toBe(1);
  });
});

describe('migration 0007', () => {
  it('records the confirming tenant of orders confirmed before it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mig-'));
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const pool = createPool({ connectionString: db.connectionString, schema, max: 2 });
    try {
      for (const f of (await readdir(migrationsDir)).filter((f) => f < '0007')) {
        await copyFile(join(migrationsDir, f), join(dir, f));
      }
      expect(await migrate(pool, schema, dir)).toEqual([1, 2, 3, 4, 5, 6]);
      await upsertTenant(pool, { id: 'auth-a', kind: 'authority', name: 'A', subscribedToBlocking: false });
      await upsertTenant(pool, { id: 'isp-1', kind: 'isp', name: 'I', subscribedToBlocking: false });
      // Rows as the code of that time wrote them (today's `openOrder` writes columns added later).
      const old = async () => {
        const id = randomUUID();
        await pool.query(
          `insert into orders (id, kind, subject_type, subject_value, target_tenant_id, status, legal_basis, issuer,
             deadline_at, evidence, policy_version) values ($1, 'blocking', 'content-hash', $2, 'isp-1', 'issued',
             'test', '{"kind":"policy","id":"policy-1"}', now() + interval '1 day', '{}', '1')`,
          [id, randomBytes(32).toString('hex')],
        );
        return id;
      };
      const confirmed = await old();
      const byUnknown = await old();
      const unconfirmed = await old();
      await pool.query(`update orders set confirmed_at = now(), confirmed_by = $2 where id = $1`, [
        confirmed,
        'authority:auth-a:0d6c1e9e-0000-4000-8000-000000000000',
      ]);
      await pool.query(`update orders set confirmed_at = now(), confirmed_by = $2 where id = $1`, [
        byUnknown,
        'authority:gone-tenant:k',
      ]);
      await copyFile(
        join(migrationsDir, '0007_order_authority_scope.sql'),
        join(dir, '0007_order_authority_scope.sql'),
      );
      expect(await migrate(pool, schema, dir)).toEqual([7]);
      const { rows } = await pool.query<{ id: string; confirmed_by_tenant_id: string | null }>(
        `select id, confirmed_by_tenant_id from orders`,
      );
      expect(Object.fromEntries(rows.map((r) => [r.id, r.confirmed_by_tenant_id]))).toEqual({
        [confirmed]: 'auth-a',
        [byUnknown]: null,
        [unconfirmed]: null,
      });
    } finally {
      await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await pool.end();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
