import { beforeAll, describe, expect, it } from 'vitest';
import {
  hashPassword,
  newSessionToken,
  tokenDigest,
  type SignInFailure,
  type SignInStore,
} from '@mod/people';
import { createSignInStore } from './people-sign-in.js';
import {
  confirmTotp,
  createPerson,
  getPersonSecrets,
  listPeople,
  resetPersonPassword,
  setPendingTotp,
  setPersonDisabled,
} from './people.js';
import { insertSession, revokeSessionsOf, verifySession } from './sessions.js';
import { db, useTestSchema } from './testing.test-helper.js';

const FAST = { memoryKiB: 64, passes: 1, parallelism: 1 };
const T0 = new Date('2026-03-01T08:00:00Z');
const IDLE_MS = 30 * 60_000;
let hash: string;

useTestSchema({ hotline: 'hotline', 'isp-a': 'isp' });
beforeAll(async () => {
  hash = await hashPassword('one-time-pass-1', FAST);
});

const newPerson = (
  login: string,
  role: 'reviewer' | 'curator' | 'admin' | 'isp' = 'reviewer',
  tenantId = 'hotline',
) =>
  createPerson(db.pool, {
    tenantId,
    login,
    displayName: `Name of ${login}`,
    role,
    passwordHash: hash,
    passwordExpiresAt: new Date(T0.getTime() + 3600_000),
    createdBy: 'test',
  });

/** The failures an attempt begun now would see (the attempt itself then forgotten). */
async function tallyOf(store: SignInStore, login: string, addressKey: string, sinceMs: number) {
  const { attemptId, ...tally } = await store.beginAttempt({ login, addressKey, sinceMs, atMs: sinceMs });
  await store.endAttempt(attemptId, null);
  return tally;
}

describe('people store', () => {
  it('creates people whose role suits their tenant, with unique logins', async () => {
    const made = await newPerson('reviewer.an');
    expect(made).toMatchObject({
      ok: true,
      person: { login: 'reviewer.an', role: 'reviewer', mustChangePassword: true, totpEnrolled: false },
    });
    expect(await newPerson('reviewer.an')).toEqual({ ok: false, reason: 'login-taken' });
    // An admin is not a hotline role; isp is no person's role at all.
    expect(await newPerson('admin.x', 'admin')).toEqual({ ok: false, reason: 'role-not-allowed' });
    expect(await newPerson('isp.x', 'isp', 'isp-a')).toEqual({ ok: false, reason: 'role-not-allowed' });
    expect(await newPerson('ghost', 'reviewer', 'no-such-tenant')).toEqual({
      ok: false,
      reason: 'unknown-tenant',
    });
    const listed = await listPeople(db.pool, { tenantId: 'hotline', limit: 10 });
    expect(listed.map((p) => p.login)).toEqual(['reviewer.an']);
    expect(JSON.stringify(listed)).not.toContain('argon2id');
  });

  it('counts a begun attempt as a failure for every attempt racing it, until it is settled', async () => {
    const store = createSignInStore(db.pool);
    const t = T0.getTime() + 7 * 24 * 3600_000;
    const begin = (login: string) =>
      store.beginAttempt({ login, addressKey: '192.0.2.77', sinceMs: t - 60_000, atMs: t });
    const first = await begin('x');
    expect(first).toMatchObject({ loginAndAddress: { count: 0 }, address: { count: 0 } });
    // The second sees the first, still in flight; neither sees itself.
    const second = await begin('x');
    expect(second).toMatchObject({ loginAndAddress: { count: 1 }, address: { count: 1 } });
    const third = await begin('y');
    expect(third).toMatchObject({ loginAndAddress: { count: 0 }, address: { count: 2 } });
    await store.endAttempt(first.attemptId, 'wrong-password');
    await store.endAttempt(second.attemptId, null);
    await store.endAttempt(third.attemptId, null);
    // Settled: the failure stays with its reason, the others are gone.
    expect(await tallyOf(store, 'x', '192.0.2.77', t - 60_000)).toEqual({
      loginAndAddress: { count: 1, oldestAtMs: t },
      address: { count: 1, oldestAtMs: t },
    });
    const { rows } = await db.pool.query<{ reason: string }>(
      `select reason from sign_in_failures where address_key = '192.0.2.77'`,
    );
    expect(rows.map((r) => r.reason)).toEqual(['wrong-password']);
  });

  it('counts failures per login and address and per address, and takes TOTP steps only upwards', async () => {
    const store = createSignInStore(db.pool);
    const t = T0.getTime();
    const fail = async (login: string, addressKey: string, reason: SignInFailure, atMs: number) => {
      const { attemptId } = await store.beginAttempt({ login, addressKey, sinceMs: atMs, atMs });
      await store.endAttempt(attemptId, reason);
    };
    await fail('a', '192.0.2.1', 'wrong-password', t);
    await fail('a', '192.0.2.1', 'wrong-code', t + 1000);
    await fail('b', '192.0.2.1', 'unknown-login', t + 2000);
    await fail('a', '192.0.2.2', 'wrong-password', t + 3000);
    expect(await tallyOf(store, 'a', '192.0.2.1', t - 1)).toEqual({
      loginAndAddress: { count: 2, oldestAtMs: t },
      address: { count: 3, oldestAtMs: t },
    });
    // The window's start is exclusive.
    expect(await tallyOf(store, 'a', '192.0.2.1', t)).toEqual({
      loginAndAddress: { count: 1, oldestAtMs: t + 1000 },
      address: { count: 2, oldestAtMs: t + 1000 },
    });
    expect(await tallyOf(store, 'c', '192.0.2.9', t - 1)).toEqual({
      loginAndAddress: { count: 0, oldestAtMs: null },
      address: { count: 0, oldestAtMs: null },
    });

    const made = await newPerson('curator.binh', 'curator');
    if (!made.ok) throw new Error('not made');
    const id = made.person.id;
    expect(await store.acceptTotpStep(id, 100)).toBe(true);
    expect(await store.acceptTotpStep(id, 100)).toBe(false);
    expect(await store.acceptTotpStep(id, 99)).toBe(false);
    expect(await store.acceptTotpStep(id, 101)).toBe(true);
    expect(await store.findAccount('curator.binh')).toMatchObject({
      personId: id,
      mustChangePassword: true,
      totpLastStep: 101,
      disabled: false,
    });
    expect(await store.findAccount('nobody')).toBeNull();
  });

  it('enrols TOTP from a pending secret once, and a reset clears it', async () => {
    const made = await newPerson('reviewer.cuong');
    if (!made.ok) throw new Error('not made');
    const id = made.person.id;
    expect(await confirmTotp(db.pool, id, 5, T0)).toBe(false);
    await setPendingTotp(db.pool, id, Buffer.from('sealed'));
    expect(await confirmTotp(db.pool, id, 5, T0)).toBe(true);
    expect(await getPersonSecrets(db.pool, id)).toMatchObject({
      totpSecretSealed: Buffer.from('sealed'),
      totpPendingSealed: null,
    });
    // A secret pending once one is enrolled (a stale enrolment session) does not replace it.
    await setPendingTotp(db.pool, id, Buffer.from('another'));
    expect(await confirmTotp(db.pool, id, 9, T0)).toBe(false);
    expect(await getPersonSecrets(db.pool, id)).toMatchObject({ totpSecretSealed: Buffer.from('sealed') });
    const reset = await resetPersonPassword(db.pool, id, { passwordHash: hash, expiresAt: T0 });
    expect(reset).toMatchObject({ mustChangePassword: true, totpEnrolled: false });
    expect(await getPersonSecrets(db.pool, id)).toMatchObject({ totpSecretSealed: null });
  });

  it('verifies sessions: live, idle, expired, revoked, disabled person', async () => {
    const made = await newPerson('reviewer.dung');
    if (!made.ok) throw new Error('not made');
    const personId = made.person.id;
    const start = async (expiresAt = new Date(T0.getTime() + 12 * 3600_000)) => {
      const token = newSessionToken();
      const { id } = await insertSession(db.pool, {
        tokenSha256: tokenDigest(token),
        personId,
        stage: 'full',
        clientAddress: '192.0.2.7',
        now: T0,
        expiresAt,
      });
      return { token, id };
    };
    const live = await start();
    const check = await verifySession(
      db.pool,
      tokenDigest(live.token),
      new Date(T0.getTime() + 60_000),
      IDLE_MS,
    );
    expect(check).toMatchObject({
      ok: true,
      session: { id: live.id, personId, stage: 'full', login: 'reviewer.dung' },
      principal: {
        keyId: live.id,
        personId,
        tenantId: 'hotline',
        tenantKind: 'hotline',
        role: 'reviewer',
        credential: 'session',
      },
    });
    // Used a minute in, so idle from there.
    const idleAt = new Date(T0.getTime() + 60_000 + IDLE_MS);
    expect(await verifySession(db.pool, tokenDigest(live.token), idleAt, IDLE_MS)).toMatchObject({
      ok: false,
      reason: 'idle',
    });
    const short = await start(new Date(T0.getTime() + 1000));
    expect(
      await verifySession(db.pool, tokenDigest(short.token), new Date(T0.getTime() + 1000), IDLE_MS),
    ).toMatchObject({
      reason: 'expired',
    });
    expect(await verifySession(db.pool, tokenDigest(newSessionToken()), T0, IDLE_MS)).toEqual({
      ok: false,
      reason: 'unknown',
      personId: null,
    });
    const other = await start();
    expect(await revokeSessionsOf(db.pool, personId, 'test', T0, other.id)).toBeGreaterThanOrEqual(2);
    expect(await verifySession(db.pool, tokenDigest(live.token), T0, IDLE_MS)).toMatchObject({
      reason: 'revoked',
    });
    expect((await verifySession(db.pool, tokenDigest(other.token), T0, IDLE_MS)).ok).toBe(true);
    const disabled = await setPersonDisabled(db.pool, personId, { disabled: true, reason: 'on leave' }, T0);
    expect(disabled?.after).toMatchObject({ disabledAt: T0.toISOString(), disabledReason: 'on leave' });
    expect(await verifySession(db.pool, tokenDigest(other.token), T0, IDLE_MS)).toMatchObject({
      reason: 'disabled',
    });
    const enabled = await setPersonDisabled(db.pool, personId, { disabled: false, reason: null }, T0);
    expect(enabled?.after).toMatchObject({ disabledAt: null, disabledReason: null });
    expect(
      await setPersonDisabled(
        db.pool,
        '00000000-0000-0000-0000-000000000000',
        { disabled: true, reason: null },
        T0,
      ),
    ).toBeNull();
  });

  it('stores no password in the clear', async () => {
    const { rows } = await db.pool.query<{ t: string }>(`select row_to_json(p)::text as t from people p`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.t).not.toContain('one-time-pass-1');
  });
});
